"""Tell on-call what broke: one message per failed task, failed deployment or service action that needs a person.

Imported only when a record calls for a message (handler/app.py decides, without importing this), so normal
events pay nothing: no import, no AWS call. boto3 is in the Lambda runtime, not in the zip, and is imported
here, on first use.

What a message is:
- to the alarm topic, for every subscriber (email, HTTPS webhooks, queues): a subject under SNS's limit ("less
  than 100 characters", SNS API Reference, Publish) and a body of labelled lines with links;
- to the chat topic (``NOTIFY_CHAT_TOPIC_ARN``, with a Slack channel; only the channel subscribes to it): the
  custom notification format of Amazon Q Developer in chat applications, {"version": "1.0", "source": "custom",
  "content": {...}, "metadata": {...}} ("Custom notifications using Amazon Q Developer in chat applications",
  docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html). On the alarm topic it would reach every
  HTTPS subscriber, a PagerDuty webhook as much as the chat service.

No flood, no double: a DynamoDB table holds, per message, a claim (a retried or duplicated event that already
sent, or is sending, its message sends nothing) and, per service and kind, the window of the last message:
within ``NOTIFY_WINDOW_SECONDS`` further messages are held back and counted, and the next message that goes out
says how many. Every write is a conditional UpdateItem, so concurrent instances agree.

Lose nothing: a claim names its holder's deadline (the Lambda context's remaining time), and once that has passed
the holder cannot be running, so a retry takes the claim over ("How Lambda handles errors and retries with
asynchronous invocation": the first retry comes a minute after a failed attempt, and timeouts are errors). Every
AWS call has timeouts and retries sized to the function's timeout, a call starts only if the claim can still be
marked failed after it, and every step after the claim that fails marks it failed. A copy that finds a claim whose
holder may still be running waits for it rather than answering "already sent"; if its own time runs out first, it
fails, and Lambda retries it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from typing import Any

from . import action_logs, container_lines, container_logs, routes
from .classify import failure_reason

TOPIC_ENV = "NOTIFY_TOPIC_ARN"
TABLE_ENV = "NOTIFY_TABLE_NAME"
WINDOW_ENV = "NOTIFY_WINDOW_SECONDS"
LOG_GROUP_ENV = "NOTIFY_LOG_GROUP"
CHAT_TOPIC_ENV = "NOTIFY_CHAT_TOPIC_ARN"
DEFAULT_WINDOW_SECONDS = 600

# SNS Publish: "Subjects must be ASCII text that begins with a letter, number, or punctuation mark; must not
# include line breaks or control characters; and must be less than 100 characters long."
MAX_SUBJECT = 99
# Lambda's longest function timeout ("Lambda quotas": 900 seconds): the deadline of a holder that gave none.
LONGEST_INVOCATION_SECONDS = 900
# Instances' clocks differ a little: a claim is taken over only this long after its holder's deadline.
CLOCK_SKEW_SECONDS = 2
# botocore's defaults are 60 s to connect and 60 s to read (botocore.config.Config) and, in the default legacy retry
# mode, 5 attempts (boto3 guide "Retries"): minutes, against a function timeout of seconds. Each attempt here gets
# a twelfth of the function's time to connect and as much to read, within these bounds; standard mode, 2 attempts.
ATTEMPT_TIMEOUT_BOUNDS = (0.1, 1.0)
CALL_ATTEMPTS = 2
# Standard mode's longest wait between two attempts: rand(0, 1) * 1 s after a throttling error (botocore
# retries/standard.py, ExponentialBackoff; 50 ms, 25 ms for DynamoDB, after any other error).
RETRY_BACKOFF_SECONDS = 1.0
# How often a copy looks again at a claim whose holder may still be running.
CLAIM_POLL_SECONDS = 0.25
# How long the table remembers a message: longer than EventBridge (24 h) and Lambda (6 h) retry.
CLAIM_TTL_SECONDS = 3 * 86400

TASK_STATE_CHANGE = "ECS Task State Change"
DEPLOYMENT_STATE_CHANGE = "ECS Deployment State Change"
SERVICE_ACTION = "ECS Service Action"

# What each service action means to a person ("Amazon ECS service action events",
# docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html).
ACTION_PHRASES = {
    "SERVICE_TASK_PLACEMENT_FAILURE": "cannot place tasks",
    "SERVICE_TASK_CONFIGURATION_FAILURE": "task configuration failure",
    "SERVICE_TASK_START_IMPAIRED": "cannot start tasks",
    "SERVICE_DISCOVERY_INSTANCE_UNHEALTHY": "unhealthy task in service discovery",
    "VPC_LATTICE_TARGET_UNHEALTHY": "unhealthy VPC Lattice target",
    "SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED": "daemon task breaks placement constraints",
}


class Notice:
    """One message: who it is about, what to say, and the keys that keep it single and unflooded."""

    __slots__ = (
        "chat_lines",
        "container_log_groups",
        "kind",
        "lines",
        "links",
        "log_lines",
        "message_key",
        "related",
        "route_key",
        "stopped_at",
        "subject",
        "task_id",
        "window_key",
    )

    def __init__(self, kind: str, message_key: str, window_key: str, subject: str) -> None:
        self.kind = kind  # 'task', 'deployment' or 'service action': each has its own window per service
        self.message_key = message_key  # the same for every copy and retry of the one thing to tell
        self.window_key = window_key
        self.subject = subject
        self.lines: list[tuple[str, str]] = []  # (label, value)
        self.chat_lines: list[str] = []
        self.links: list[tuple[str, str]] = []  # (label, url)
        self.related: list[str] = []
        self.container_log_groups: list[str] = []  # where the failed task's own container logs are looked for
        self.route_key: str | None = None  # what a route's services match: the service, or 'family:NAME'
        self.stopped_at: str | None = None  # when the task stopped, for its container's last lines
        self.task_id: str | None = None
        self.log_lines: list[str] = []  # the container's last lines, redacted (containerLogLines)

    def add(self, label: str, value: object) -> None:
        if value not in (None, ""):
            self.lines.append((label, str(value)))


# ---------------------------------------------------------------------------------------------- the messages


def build_notice(
    fields: dict[str, Any],
    event: dict[str, Any],
    log_group: str | None,
    container_log_groups: list[str] | None = None,
    action_log_group: str | None = None,
) -> Notice | None:
    """The message for a logged record, or None if it calls for none.

    ``container_log_groups``: the names and prefixes of the groups the services' containers log to
    (containerLogGroups), for the link to a failed task's own streams. ``action_log_group``: where the clusters'
    ECS Action Logs are (actionLogs), for the link to a failed deployment's or a placement failure's own.
    """
    detail_type = fields.get("detailType")
    raw_detail = event.get("detail")
    detail: dict[str, Any] = raw_detail if isinstance(raw_detail, dict) else {}
    if detail_type == TASK_STATE_CHANGE and fields.get("abnormal"):
        notice = _task_notice(fields, detail, log_group)
        if notice is not None and container_log_groups:
            _add_container_logs(notice, fields, detail, container_log_groups)
        return notice
    if detail_type in (DEPLOYMENT_STATE_CHANGE, SERVICE_ACTION) and fields.get("eventName"):
        notice = _service_notice(fields, event, log_group)
        if notice is not None and action_log_group and action_logs.wants_link(notice.kind, fields.get("eventName")):
            _add_action_logs(notice, fields, action_log_group)
        return notice
    return None


def _task_notice(fields: dict[str, Any], detail: dict[str, Any], log_group: str | None) -> Notice | None:
    cluster_arn, task_id = fields.get("clusterArn"), fields.get("taskId")
    if not isinstance(cluster_arn, str) or ":cluster/" not in cluster_arn or not task_id:
        return None
    prefix, cluster = cluster_arn.split(":cluster/", 1)
    region = prefix.split(":")[3]
    group = fields.get("group") or ""
    service = group.split(":", 1)[1] if group.startswith("service:") else None
    who = service or (group.split(":", 1)[-1] if group else None) or (fields.get("taskDefinition") or "task")
    what, exit_code = _what_happened(fields)
    subject = f"{who}: task {task_id[:8]} {what}" + (f" (exit {exit_code})" if exit_code is not None else "")
    task_arn = fields.get("taskArn") or f"{prefix}:task/{cluster}/{task_id}"
    notice = Notice(
        "task",
        f"task#{task_arn}",
        f"window#task#{prefix}:service/{cluster}/{who}",
        subject,
    )
    notice.add("Service", service)
    if not service:
        notice.add("Group", group)
    notice.add("Cluster", f"{cluster} ({region})")
    notice.add("Account", prefix.split(":")[4])
    notice.add("Task", task_id)
    notice.add("Task definition", fields.get("taskDefinition"))
    notice.add("Stop code", fields.get("stopCode"))
    notice.add("Stopped reason", fields.get("stoppedReason"))
    for container in fields.get("containers") or []:
        notice.add(f"Container {container.get('name', '?')}", _container_text(container))
    notice.add("Ran for", _duration(fields.get("runSeconds")))
    notice.add("Stopped at", detail.get("stoppedAt") or fields.get("eventTime"))
    notice.links.append(("Task in the ECS console", ecs_task_url(prefix, cluster, task_id)))
    if log_group:
        query = (
            "fields @timestamp, lastStatus, desiredStatus, level, message\n"
            f'| filter taskId = "{task_id}"\n'
            "| sort @timestamp asc"
        )
        start = _first_time(detail, ("createdAt", "pullStartedAt", "startedAt")) or fields.get("eventTime")
        timeline = insights_url(log_region(region), log_group, query, start, fields)
        notice.links.append(("Task timeline in Logs Insights", timeline))
    if service:
        notice.links.append(("The service's deployments", ecs_deployments_url(prefix, cluster, service)))
    notice.related = [task_arn]
    notice.route_key = service or group or None
    notice.task_id = str(task_id)
    return notice


def _add_container_logs(notice: Notice, fields: dict[str, Any], detail: dict[str, Any], entries: list[str]) -> None:
    """The link to the task's own container streams in the minutes before it stopped, in its region."""
    prefix = str(fields["clusterArn"]).split(":cluster/", 1)[0]
    groups = container_logs.log_groups(entries, container_logs.family_of(fields.get("taskDefinition")))
    note = container_logs.elsewhere_note(groups, container_logs.log_router(fields.get("containers")))
    notice.container_log_groups = groups
    notice.add("Container logs", note)
    if not groups:
        return
    stop = _first_time(detail, ("stoppedAt", "executionStoppedAt", "stoppingAt")) or fields.get("eventTime")
    notice.stopped_at = stop if isinstance(stop, str) else None
    begin = _shift(stop, -container_logs.BEFORE_STOP_SECONDS)
    end = _shift(stop, container_logs.AFTER_STOP_SECONDS)
    query = container_logs.streams_query(str(fields["taskId"]))
    notice.links.append(("Container logs in Logs Insights", insights_range_url(prefix, groups, query, begin, end)))


def _add_action_logs(notice: Notice, fields: dict[str, Any], group: str) -> None:
    """The link to the service's ECS Action Logs around the event, in the log group's region (the function's)."""
    prefix, cluster, service = service_parts(fields)
    at = fields.get("eventTime")
    begin = _shift(at, -action_logs.BEFORE_EVENT_SECONDS)
    end = _shift(at, action_logs.AFTER_EVENT_SECONDS)
    where = f"arn:{prefix.split(':')[1]}:logs:{log_region(prefix.split(':')[3])}"
    query = action_logs.service_query(cluster or None, service)
    notice.links.append(("ECS Action Logs in Logs Insights", insights_range_url(where, [group], query, begin, end)))


def _what_happened(fields: dict[str, Any]) -> tuple[str, int | None]:
    """('OOM-killed', 137), ('failed to start (CannotPullContainerError)', None), ('app exited 1', None)..."""
    containers = fields.get("containers") or []
    failures = [(c, failure_reason(c.get("reason"))) for c in containers if failure_reason(c.get("reason"))]
    task_failure = failure_reason(fields.get("stoppedReason"))
    if any(name == "OutOfMemoryError" for _, name in failures) or task_failure == "OutOfMemoryError":
        oom: dict[str, Any] = next((c for c, name in failures if name == "OutOfMemoryError"), {})
        return "OOM-killed", oom.get("exitCode")
    named = failures[0][1] if failures else task_failure
    if fields.get("stopCode") == "TaskFailedToStart":
        return f"failed to start ({named})" if named else "failed to start", None
    if named:
        return f"failed: {named}", None
    if "health check" in (fields.get("stoppedReason") or "").lower():
        return "failed its health checks", None
    for container in containers:
        code = container.get("exitCode")
        if code not in (None, 0, 143):
            return f"{container.get('name', 'container')} exited {code}", None
    return "stopped abnormally", None


def _container_text(container: dict[str, Any]) -> str:
    parts = []
    if "exitCode" in container:
        parts.append(f"exit {container['exitCode']}")
    if container.get("reason"):
        parts.append(str(container["reason"]))
    if container.get("lastStatus"):
        parts.append(str(container["lastStatus"]))
    return ", ".join(parts) or "no exit code"


def service_parts(fields: dict[str, Any]) -> tuple[str, str, str]:
    """(ARN prefix, cluster, service) of the record's serviceArn; cluster '' when nobody names it.

    A short service ARN (arn:aws:ecs:REGION:ACCOUNT:service/NAME, "Migrate an Amazon ECS short service ARN to a long
    ARN", Amazon ECS Developer Guide) has no cluster: the event's clusterArn names it, when the event has one (a
    deployment event never does).
    """
    prefix, path = str(fields["serviceArn"]).split(":service/", 1)
    cluster, _, service = path.partition("/")
    if not service:
        cluster_arn = fields.get("clusterArn")
        known = cluster_arn.rsplit("/", 1)[-1] if isinstance(cluster_arn, str) and ":cluster/" in cluster_arn else ""
        cluster, service = known, cluster
    return prefix, cluster, service


def _service_notice(fields: dict[str, Any], event: dict[str, Any], log_group: str | None) -> Notice | None:
    service_arn = fields.get("serviceArn")
    if not isinstance(service_arn, str) or ":service/" not in service_arn:
        return None
    prefix, cluster, service = service_parts(fields)
    region = prefix.split(":")[3]
    name, reason = fields.get("eventName"), fields.get("reason")
    if fields.get("detailType") == DEPLOYMENT_STATE_CHANGE:
        kind = "deployment"
        what = "deployment rolling back" if name == "SERVICE_DEPLOYMENT_IN_PROGRESS" else "deployment failed"
        key = f"deployment#{service_arn}#{fields.get('deploymentId')}#{name}"
    else:
        kind = "service action"
        what = ACTION_PHRASES.get(str(name), str(name).lower().replace("_", " "))
        if reason:
            what += f" ({reason})"
        key = f"action#{fields.get('eventId') or json.dumps(event, sort_keys=True)[:200]}"
    window = f"{prefix}:service/{cluster}/{service}" if cluster else service_arn
    notice = Notice(kind, key, f"window#{kind}#{window}", f"{service}: {what}")
    notice.add("Service", service)
    notice.add("Cluster", f"{cluster or 'not named by the event'} ({region})")
    notice.add("Account", prefix.split(":")[4])
    notice.add("Event", f"{name} ({fields.get('eventType')})")
    notice.add("Deployment", fields.get("deploymentId"))
    notice.add("Reason", reason)
    notice.add("At", fields.get("eventTime"))
    if cluster:  # the console addresses a service by its cluster
        notice.links.append(("The service's deployments", ecs_deployments_url(prefix, cluster, service)))
    if log_group:
        query = (
            "fields @timestamp, level, message\n"
            f'| filter serviceArn = "{service_arn}" or group = "service:{service}"\n'
            "| sort @timestamp asc"
        )
        service_events = insights_url(log_region(region), log_group, query, None, fields)
        notice.links.append(("Service events in Logs Insights", service_events))
    notice.related = [service_arn]
    notice.route_key = service
    return notice


# ------------------------------------------------------------------------------------------------- the links


def log_region(cluster_region: str) -> str:
    """The log group's region, the function's own (AWS_REGION): a member account's cluster may be elsewhere."""
    return os.environ.get("AWS_REGION") or cluster_region


def console_host(prefix: str) -> tuple[str, str]:
    """(host, region) of the AWS console for ARNs starting 'arn:PARTITION:ecs:REGION:ACCOUNT'."""
    parts = prefix.split(":")
    partition, region = parts[1], parts[3]
    domain = {"aws-cn": "console.amazonaws.cn", "aws-us-gov": "console.amazonaws-us-gov.com"}.get(partition)
    return (domain or f"{region}.console.aws.amazon.com"), region


def ecs_task_url(prefix: str, cluster: str, task_id: str) -> str:
    """The task's page in the ECS console (v2), as the console addresses it."""
    host, region = console_host(prefix)
    return f"https://{host}/ecs/v2/clusters/{_path(cluster)}/tasks/{_path(task_id)}/configuration?region={region}"


def ecs_deployments_url(prefix: str, cluster: str, service: str) -> str:
    """The service's 'Deployments' tab in the ECS console (v2)."""
    host, region = console_host(prefix)
    return f"https://{host}/ecs/v2/clusters/{_path(cluster)}/services/{_path(service)}/deployments?region={region}"


def insights_url(region: str, log_group: str, query: str, start: Any, fields: dict[str, Any]) -> str:
    """A CloudWatch Logs Insights deep link that opens ``query`` on the log group for the task's time range.

    The console keeps the query in the fragment: '#logsV2:logs-insights' then '?queryDetail=' and an object
    written '~(key~value~...)', strings prefixed "'" with each character but [A-Za-z0-9-._] as '*XX'; the whole
    escape()d, then encodeURIComponent()d with '%' written '$'. (Not documented by AWS; the console's own format,
    worked out in "Is there a way to generate the AWS Console URLs for CloudWatch Log Group filters?",
    stackoverflow.com/questions/60796991.)
    """
    end = _shift(fields.get("eventTime"), 15 * 60)
    begin = _shift(start, -5 * 60) if start else _shift(fields.get("eventTime"), -86400)
    detail: dict[str, Any] = {"end": end, "start": begin, "timeType": "ABSOLUTE", "tz": "UTC"}
    if not (end and begin):
        detail = {"end": 0, "start": -86400, "timeType": "RELATIVE", "unit": "seconds"}
    detail.update(editorString=query, isLiveTail=False, source=[log_group])
    fragment = "?queryDetail=" + _js_escape(_object(detail), "@*_+-./")
    fragment = _js_escape(fragment, "-_.!~*'()").replace("%", "$")
    host = console_host(f"arn:aws:logs:{region}")[0]
    return f"https://{host}/cloudwatch/home?region={region}#logsV2:logs-insights{fragment}"


def insights_range_url(prefix: str, groups: list[str], query: str, begin: str | None, end: str | None) -> str:
    """Logs Insights on ``groups`` with ``query``, from ``begin`` to ``end`` (the last day if either is unknown),
    in the console of the region and partition of ``prefix`` ('arn:PARTITION:SERVICE:REGION...')."""
    detail: dict[str, Any] = {"end": end, "start": begin, "timeType": "ABSOLUTE", "tz": "UTC"}
    if not (end and begin):
        detail = {"end": 0, "start": -86400, "timeType": "RELATIVE", "unit": "seconds"}
    detail.update(editorString=query, isLiveTail=False, source=list(groups))
    fragment = "?queryDetail=" + _js_escape(_object(detail), "@*_+-./")
    fragment = _js_escape(fragment, "-_.!~*'()").replace("%", "$")
    host, region = console_host(prefix)
    return f"https://{host}/cloudwatch/home?region={region}#logsV2:logs-insights{fragment}"


def _object(detail: dict[str, Any]) -> str:
    """JSURL: '~(key~value~key~value)', each value starting with '~': ~'text, ~1, ~true, ~(~'a~'b)."""
    return "~(" + "~".join(f"{key}{_value(value)}" for key, value in detail.items()) + ")"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "~true" if value else "~false"
    if isinstance(value, int):
        return f"~{value}"
    if isinstance(value, list):
        return "~(" + "".join(_value(item) for item in value) + ")"
    text = "".join(
        char if char.isascii() and (char.isalnum() or char in "-._") else "".join(f"*{b:02X}" for b in char.encode())
        for char in str(value)
    )
    return "~'" + text


def _js_escape(text: str, safe: str) -> str:
    """JavaScript's escape() or encodeURIComponent() (by ``safe``) of ASCII text."""
    return "".join(char if char.isalnum() or char in safe else f"%{ord(char):02X}" for char in text)


def _path(segment: str) -> str:
    return _js_escape(segment, "-_.")


def _shift(timestamp: Any, seconds: int) -> str | None:
    from .parse import parse_timestamp  # noqa: PLC0415 - already loaded with the handler

    if not isinstance(timestamp, str):
        return None
    parsed = parse_timestamp(timestamp)
    if parsed is None:
        return None
    moved = parsed.timestamp() + seconds
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(moved))


def _first_time(detail: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    return next((detail[key] for key in keys if isinstance(detail.get(key), str)), None)


def _duration(seconds: Any) -> str | None:
    if not isinstance(seconds, (int, float)):
        return None
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s" if minutes else f"{seconds:g}s"


# ------------------------------------------------------------------------------------------- what is sent


def subject_line(notice: Notice, held: int) -> str:
    """ASCII, one line, under 100 characters, the held-back count kept when the text must be cut."""
    suffix = f" (+{held} held back)" if held else ""
    text = "".join(char if " " <= char <= "~" else "?" for char in notice.subject)
    room = MAX_SUBJECT - len(suffix)
    if len(text) > room:
        text = text[: room - 3] + "..."
    return text + suffix


def email_text(notice: Notice, held: int, held_since: int | None, window_seconds: int) -> str:
    width = max(len(label) for label, _ in [*notice.lines, *notice.links]) + 2
    lines = [f"{(label + ':').ljust(width)}{value}" for label, value in notice.lines]
    if notice.log_lines:
        lines += ["", f"The task's last {len(notice.log_lines)} container log lines (redacted):"]
        lines += [f"  {line}" for line in notice.log_lines]
    lines.append("")
    lines += [f"{(label + ':').ljust(width)}{url}" for label, url in notice.links]
    if held:
        lines += ["", _held_text(notice, held, held_since, window_seconds)]
    lines += ["", "Sent by ecs-task-events: one message per failed task, deployment or service action."]
    return "\n".join(lines) + "\n"


def _held_text(notice: Notice, held: int, held_since: int | None, window_seconds: int) -> str:
    since = time.strftime("%H:%M UTC", time.gmtime(held_since)) if held_since else "the last message"
    what = {"task": "task failures", "deployment": "deployment messages", "forwarding": "forwarding alarms"}.get(
        notice.kind, "service action messages"
    )
    whose = "queue" if notice.kind == "forwarding" else "service"
    return (
        f"{held} more {what} of this {whose} were held back since {since} (at most one message per {whose} "
        f"every {window_seconds // 60} minutes); the log group has every one."
    )


def chat_message(notice: Notice, subject: str, held: int, held_since: int | None, window_seconds: int) -> str:
    """The custom notification for Amazon Q Developer in chat applications (Slack, Microsoft Teams)."""
    description = "\n".join(f"*{label}:* {value}" for label, value in notice.lines)
    if notice.log_lines:
        description += "\n*Last container log lines (redacted):*\n```\n" + "\n".join(notice.log_lines) + "\n```"
    if held:
        description += "\n" + _held_text(notice, held, held_since, window_seconds)
    return json.dumps(
        {
            "version": "1.0",
            "source": "custom",
            "id": notice.message_key[:200],
            "content": {
                "textType": "client-markdown",
                "title": f":rotating_light: {subject}",
                "description": description,
                "nextSteps": [f"{label}: {url}" for label, url in notice.links],
                "keywords": ["ecs-task-events", notice.kind],
            },
            "metadata": {
                "threadId": notice.window_key,
                "summary": subject,
                "eventType": notice.kind,
                "relatedResources": notice.related,
            },
        }
    )


def sns_message(notice: Notice, held: int, held_since: int | None, window_seconds: int) -> dict[str, str]:
    """The Publish parameters of the alarm topic: the readable text, the same for every protocol."""
    return {"Subject": subject_line(notice, held), "Message": email_text(notice, held, held_since, window_seconds)}


def chat_publish(notice: Notice, held: int, held_since: int | None, window_seconds: int) -> dict[str, str]:
    """The Publish parameters of the chat topic: the custom notification, the whole message."""
    subject = subject_line(notice, held)
    return {"Message": chat_message(notice, subject, held, held_since, window_seconds)}


# -------------------------------------------------------------------------------------- state and delivery

logger = logging.getLogger("ecs-task-events")

_CLIENTS: dict[str, Any] = {}
# The time of the invocation that creates the clients: their timeouts are sized to it (the function's timeout does
# not change in an instance's life).
_BUDGET = {"seconds": float(LONGEST_INVOCATION_SECONDS)}


def attempt_timeout(budget_seconds: float) -> float:
    """Seconds to connect, and as many to read, in one attempt of a call, for an invocation of ``budget_seconds``."""
    low, high = ATTEMPT_TIMEOUT_BOUNDS
    return min(high, max(low, budget_seconds / 12))


def client(service: str) -> Any:
    if service not in _CLIENTS:
        import boto3  # noqa: PLC0415 - only events that notify pay for the SDK
        from botocore.config import Config  # noqa: PLC0415 - loaded with boto3

        timeout = attempt_timeout(_BUDGET["seconds"])
        config = Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"mode": "standard", "total_max_attempts": CALL_ATTEMPTS},
        )
        _CLIENTS[service] = boto3.client(service, config=config)
    return _CLIENTS[service]


def call_seconds(aws_client: Any) -> tuple[float, float]:
    """(the longest one call of ``aws_client`` can take, the longest one attempt can take), from its own config."""
    config = getattr(getattr(aws_client, "meta", None), "config", None)
    fallback = ATTEMPT_TIMEOUT_BOUNDS[1]
    attempt = (getattr(config, "connect_timeout", None) or fallback) + (
        getattr(config, "read_timeout", None) or fallback
    )
    return CALL_ATTEMPTS * attempt + (CALL_ATTEMPTS - 1) * RETRY_BACKOFF_SECONDS, attempt


# The clock of the windows and deadlines, and the pause between looks at a claim (tests set them).
CLOCK: Callable[[], float] = time.time
SLEEP: Callable[[float], None] = time.sleep


class OutOfTime(Exception):
    """Too little of the invocation is left to finish a step and still mark the claim failed."""


class ClaimInFlight(Exception):
    """Another invocation holds the message's claim and may still be sending it; Lambda's retry will look again."""


class Deadline:
    """When Lambda stops this invocation, on CLOCK: what the context says is left, or Lambda's longest timeout."""

    def __init__(self, context: Any, now: float) -> None:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        millis = remaining() if callable(remaining) else None
        left = millis / 1000 if isinstance(millis, (int, float)) else LONGEST_INVOCATION_SECONDS
        self.at = now + max(0.0, left)

    def left(self) -> float:
        return self.at - CLOCK()

    def check(self, step: str, aws_client: Any, mark_with: Any) -> None:
        """Raise OutOfTime unless ``step``, at its longest, leaves time for one attempt to mark the claim failed."""
        longest, _ = call_seconds(aws_client)
        _, mark_attempt = call_seconds(mark_with)
        if self.left() < longest + mark_attempt:
            raise OutOfTime(
                f"{self.left():.2f} s left of the invocation: too little to {step} ({longest:.2f} s at most) and "
                "mark the message failed; Lambda's retry sends it (a longer function timeout avoids this)"
            )


def notify(fields: dict[str, Any], event: dict[str, Any], context: Any = None) -> str:
    """Send the record's message unless it was sent (or is being sent) already or its window holds it.

    Returns 'sent', 'held', 'already sent' or 'nothing'. Raises if the message could not be sent, after marking
    the claim failed, so that Lambda's retry of the event may send it; raises ClaimInFlight if another invocation
    still holds the claim when this one runs out of time.
    """
    if not os.environ.get(TOPIC_ENV):
        return "nothing"
    log_group = os.environ.get(LOG_GROUP_ENV) or os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
    notice = build_notice(fields, event, log_group, container_logs.configured_groups(), action_logs.configured_group())
    if notice is None:
        return "nothing"
    return send(notice, context)


def send(notice: Notice, context: Any = None) -> str:
    """Send ``notice`` to its topic (a route's, or the alarm topic) and chat topic, once, within its window.

    Returns and raises as notify() does.
    """
    topic = os.environ.get(TOPIC_ENV)
    if not topic:
        return "nothing"
    team_routes = routes.configured_routes()
    topic = routes.topic_for(notice.route_key, team_routes, topic)
    chat_topic = routes.chat_topic_for(notice.route_key, team_routes, os.environ.get(CHAT_TOPIC_ENV))
    window = int(os.environ.get(WINDOW_ENV) or DEFAULT_WINDOW_SECONDS)
    table = os.environ.get(TABLE_ENV)
    now = CLOCK()
    deadline = Deadline(context, now)
    if not _CLIENTS:
        _BUDGET["seconds"] = deadline.left()
    held, held_since = 0, None
    if not table:
        sns = client("sns")
        add_container_lines(notice, deadline, sns, sns)
        publish(sns, topic, notice, (held, held_since, window), deadline=deadline, mark_with=sns, chat_topic=chat_topic)
        return "sent"
    dynamodb = client("dynamodb")
    state = State(dynamodb, table, int(now))
    answer = claim_or_wait(state, notice.message_key, deadline)
    if answer is not None:
        return answer
    try:
        deadline.check("open the window", dynamodb, dynamodb)
        opened = state.open_window(notice, window)
        if opened is None:
            state.mark(notice.message_key, "held")
            return "held"
        held, held_since = opened
        sns = client("sns")
        add_container_lines(notice, deadline, sns, dynamodb)
        publish(
            sns, topic, notice, (held, held_since, window), deadline=deadline, mark_with=dynamodb, chat_topic=chat_topic
        )
    except Exception:
        release(state, notice.message_key)
        raise
    try:
        state.mark(notice.message_key, "sent")
    except Exception as error:  # noqa: BLE001 - the message went out: a retry must not send it again
        logger.warning(
            "message sent, but its claim could not be marked sent (%s): a copy after the claim's deadline would "
            "send it again",
            type(error).__name__,
        )
    return "sent"


def publish(
    sns: Any,
    topic: str,
    notice: Notice,
    window: tuple[int, int | None, int],
    *,
    deadline: Deadline,
    mark_with: Any,
    chat_topic: str | None = None,
) -> None:
    """The readable text to the topic and, with a chat channel, the chat format to its own topic (the route's
    channel's, or the stack's); each call only if it still leaves time to mark the claim failed. ``window`` is
    (held back, held since, window seconds)."""
    deadline.check("publish", sns, mark_with)
    sns.publish(TopicArn=topic, **sns_message(notice, *window))
    if chat_topic:
        deadline.check("publish to the chat topic", sns, mark_with)
        sns.publish(TopicArn=chat_topic, **chat_publish(notice, *window))


def add_container_lines(notice: Notice, deadline: Deadline, sns: Any, mark_with: Any) -> None:
    """The failed container's last lines (containerLogLines), in the time the publish and the mark can spare.

    Whatever goes wrong here costs the lines and says why; the message goes out all the same.
    """
    count = container_lines.wanted_lines(os.environ)
    if not count or not notice.container_log_groups or notice.kind != "task":
        return
    from .parse import parse_timestamp  # noqa: PLC0415 - already loaded with the handler

    stopped = parse_timestamp(notice.stopped_at) if notice.stopped_at else None
    if stopped is None or not notice.task_id:
        notice.add("Container log lines", "not included: the event does not say when the task stopped")
        return
    try:
        logs = client("logs")
        reserve = call_seconds(sns)[0] + call_seconds(mark_with)[1]
        found = container_lines.read_last_lines(
            logs,
            notice.container_log_groups,
            notice.task_id,
            stop_millis=int(stopped.timestamp() * 1000),
            count=count,
            time_left=lambda: deadline.left() - reserve,
            call_seconds=call_seconds(logs)[0],
        )
        notice.log_lines = container_lines.message_lines(found)
    except Exception as error:  # noqa: BLE001 - the lines are a bonus: the message must go out without them
        notice.add("Container log lines", f"not included: {type(error).__name__}")
        return
    if notice.log_lines:
        notice.lines = [(label, value) for label, value in notice.lines if label != "Container logs"]
    if found.problem and len(notice.log_lines) < count:
        shown = f"{len(notice.log_lines)} of {count} shown" if notice.log_lines else "not included"
        notice.add("Container log lines", f"{shown}: {found.problem}")


def claim_or_wait(state: State, message_key: str, deadline: Deadline) -> str | None:
    """None once this invocation holds the claim; 'already sent' if the message went out or was held back.

    A claim whose holder may still be running is looked at again until it is settled or its holder's deadline
    passes, for as long as this invocation could still send after taking it over.
    """
    hold_until = math.ceil(deadline.at)
    while True:
        current = state.claim(message_key, hold_until)
        if current is None:
            return None
        if current.get("st", {}).get("S") in ("sent", "held"):
            return "already sent"
        longest, attempt = call_seconds(state.dynamodb)
        if deadline.left() < CLAIM_POLL_SECONDS + longest + attempt:  # taking it over later would be too late
            holder = current.get("holdUntil", {}).get("N", "?")
            raise ClaimInFlight(
                f"the message {message_key!r} is claimed by an invocation that may run until {holder} (epoch "
                "seconds); failing so that Lambda's retry looks again"
            )
        SLEEP(CLAIM_POLL_SECONDS)
        state.now = int(CLOCK())


def release(state: State, message_key: str) -> None:
    """Mark the claim failed, so a retry may take it at once; if even that fails, its deadline frees it."""
    try:
        state.mark(message_key, "failed")
    except Exception as error:  # noqa: BLE001 - the first error is the one to raise
        logger.warning(
            "could not mark the message failed (%s): a retry takes it over after the claim's deadline",
            type(error).__name__,
        )


class State:
    """The table: 'msg#...' items claim a message, 'window#...' items hold a service's last message time."""

    def __init__(self, dynamodb: Any, table: str, now: int) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.now = now

    def _update(self, key: str, expression: str, values: dict[str, Any], condition: str | None = None) -> Any:
        params: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"pk": {"S": key}},
            "UpdateExpression": expression,
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
        }
        if condition:
            params["ConditionExpression"] = condition
        try:
            return self.dynamodb.update_item(**params).get("Attributes", {})
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return None

    def claim(self, message_key: str, hold_until: int) -> dict[str, Any] | None:
        """None if this invocation may send the message (nobody did, a try failed, or the holder's deadline
        passed); else the claim as it stands (UpdateItem, ReturnValuesOnConditionCheckFailure ALL_OLD)."""
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"pk": {"S": f"msg#{message_key}"}},
                UpdateExpression="SET st = :claimed, claimedAt = :now, holdUntil = :hold, expiresAt = :ttl",
                ExpressionAttributeValues={
                    ":claimed": {"S": "claimed"},
                    ":failed": {"S": "failed"},
                    ":now": {"N": str(self.now)},
                    ":hold": {"N": str(hold_until)},
                    ":over": {"N": str(self.now - CLOCK_SKEW_SECONDS)},
                    ":unsaid": {"N": str(self.now - CLOCK_SKEW_SECONDS - LONGEST_INVOCATION_SECONDS)},
                    ":ttl": {"N": str(self.now + CLAIM_TTL_SECONDS)},
                },
                # A claim that names no deadline is held for Lambda's longest timeout.
                ConditionExpression="attribute_not_exists(pk) OR st = :failed OR (st = :claimed AND "
                "(holdUntil < :over OR (attribute_not_exists(holdUntil) AND claimedAt < :unsaid)))",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException as refused:
            item: dict[str, Any] = refused.response.get("Item") or {}
            return item
        return None

    def mark(self, message_key: str, status: str) -> None:
        self._update(f"msg#{message_key}", "SET st = :status", {":status": {"S": status}})

    def open_window(self, notice: Notice, window: int) -> tuple[int, int | None] | None:
        """(held back since the last message, when that was) if the message may go; None if it is held."""
        ttl = {"N": str(self.now + window + 86400)}
        key, owner = notice.window_key, {"S": notice.message_key}
        opened = self._update(
            key,
            "SET reportHeld = if_not_exists(held, :zero), reportSince = if_not_exists(windowStart, :zero), "
            "held = :zero, windowStart = :now, openedBy = :owner, expiresAt = :ttl",
            {
                ":zero": {"N": "0"},
                ":now": {"N": str(self.now)},
                ":cutoff": {"N": str(self.now - window)},
                ":owner": owner,
                ":ttl": ttl,
            },
            "attribute_not_exists(pk) OR windowStart <= :cutoff",
        )
        # A retry of the message that opened the window: it may go, and reports what it reported then.
        opened = opened or self._update(
            key, "SET expiresAt = :ttl", {":ttl": ttl, ":owner": owner}, "openedBy = :owner"
        )
        if opened is None:
            self._update(key, "ADD held :one SET expiresAt = :ttl", {":one": {"N": "1"}, ":ttl": ttl})
            return None
        since = int(opened.get("reportSince", {}).get("N", "0"))
        return int(opened.get("reportHeld", {}).get("N", "0")), since or None
