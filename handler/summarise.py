"""Turn one EventBridge event from ECS into one log record: level, message, fields.

Every detail-type gets a summary; a task state change gets the full treatment
(classification, timings, per-container exits). Nothing here raises on an
event's shape: what cannot be read is left out and named in ``oddities``.
"""

from __future__ import annotations

import logging

from .classify import KNOWN_STOP_CODES, classify_task, failure_reason, has_stopped, unclean_exit
from .origin import origin_fields
from .parse import Oddities, clip, read_detail, read_texts, type_name
from .task_event import TaskState

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from typing import Any

    from .origin import Home
    from .task_event import Container

TASK_STATE_CHANGE = "ECS Task State Change"
ENVELOPE_FIELDS = ("detail-type", "id", "time")
REQUIRED_ENVELOPE_FIELDS = frozenset({"detail-type", "id"})

# Long stopped reasons are cut in the message only; the field keeps them whole.
MESSAGE_REASON_LIMIT = 200


# What a duplicate leaves out: the verdict and the timings were counted with the first copy.
COUNTED_ONCE = ("abnormal", "startupSeconds", "pullSeconds", "runSeconds")


class Summary:
    """The record to log: a level, a message that reads on its own, and queryable fields.

    ``key`` is (task ARN, detail.version) for a task event that has both: what
    makes two deliveries one event.
    """

    __slots__ = ("fields", "key", "level", "message")

    def __init__(self, level: int, message: str, fields: dict[str, Any], key: tuple[str, int] | None = None) -> None:
        self.level = level
        self.message = message
        self.fields = fields
        self.key = key

    def mark_duplicate(self) -> None:
        """A second copy of an event already logged: logged again at INFO, marked, and counted by no metric."""
        for name in COUNTED_ONCE:
            self.fields.pop(name, None)
        self.fields["duplicate"] = True
        self.level = logging.INFO


def summarise_event(event: Any, home: Home = (None, None)) -> Summary:
    """The one record to log for ``event``; never raises on the event's shape.

    ``home`` is the function's own (account, region): the record names the event's account and region where
    they differ from it (handler/origin.py).
    """
    odd = Oddities()
    if not isinstance(event, dict):
        odd.note(f"event is {type_name(event)}, expected object")
        return _finish(logging.WARNING, "unreadable event", {}, odd)

    detail_type, event_id, event_time = read_texts(event, ENVELOPE_FIELDS, REQUIRED_ENVELOPE_FIELDS, odd, where="event")
    envelope = {
        "detailType": detail_type,
        "eventId": event_id,
        "eventTime": event_time,
        **origin_fields(event, home, odd),
    }
    if envelope["detailType"] == TASK_STATE_CHANGE:
        task = TaskState(read_detail(event, odd), odd)
        level, message, fields = _summarise_task(task, odd)
        key = (task.task_arn, task.version) if task.task_arn and task.version is not None else None
        return _finish(level, message, {**envelope, **fields}, odd, key)
    # The rule sends task events only unless a user widens it: load the rest on first use.
    from .other_events import summarise_other_event  # noqa: PLC0415

    level, message, fields = summarise_other_event(envelope["detailType"], event, odd)
    return _finish(level, message, {**envelope, **fields}, odd)


def _finish(
    level: int, message: str, fields: dict[str, Any], odd: Oddities, key: tuple[str, int] | None = None
) -> Summary:
    if odd:
        level = max(level, logging.WARNING)
        fields["oddities"] = list(odd.notes)
    return Summary(level, message, {name: value for name, value in fields.items() if value is not None}, key)


def _summarise_task(task: TaskState, odd: Oddities) -> tuple[int, str, dict[str, Any]]:
    if task.stop_code and task.stop_code not in KNOWN_STOP_CODES:
        odd.note(f"unknown stopCode {task.stop_code!r}")
    verdict = classify_task(task)
    # Each fact once: no field that others imply (the task ARN is clusterArn + taskId, the task definition's
    # ARN the cluster's region and account + taskDefinition); those ARNs are kept only when they are not implied.
    fields: dict[str, Any] = {
        "clusterArn": task.cluster_arn,
        "taskArn": task.task_arn_if_not_implied(),
        "taskId": task.task_id,
        "group": task.group,
        "taskDefinition": task.task_definition,
        "taskDefinitionArn": task.task_definition_arn_if_not_implied(),
        "launchType": task.launch_type,
        "capacityProviderName": task.capacity_provider if task.capacity_provider != task.launch_type else None,
        "lastStatus": task.last_status,
        "desiredStatus": task.desired_status,
        "version": task.version,
        "stopCode": task.stop_code,
        "stoppedReason": task.stopped_reason,
        "containers": [c.as_field(task.last_status) for c in task.containers] or None,
        "abnormal": True if verdict.abnormal else None,
        **_timings(task, odd),
    }
    return verdict.level, task_message(task), fields


def task_message(task: TaskState) -> str:
    """'task 5e1c2a9b STOPPED EssentialContainerExited: app exited 137 OutOfMemoryError'

    The service and task definition are beside it in the same record (group,
    taskDefinition); the message does not repeat them.
    """
    status = task.last_status or "UNKNOWN"
    if task.desired_status and task.desired_status != task.last_status:
        status = f"{status}->{task.desired_status}"
    head = f"task {(task.task_id or 'unknown')[:8]} {status}"
    details = []
    notes = [_container_note(c, task) for c in task.containers if _worth_noting(c, task)]
    if notes:
        details.append(", ".join(notes))
    # The stopped reason adds nothing to 'EssentialContainerExited' plus the exit codes.
    if task.stopped_reason and task.stop_code != "EssentialContainerExited":
        details.append(clip(task.stopped_reason, MESSAGE_REASON_LIMIT))
    if task.stop_code:
        head += f" {task.stop_code}"
    return f"{head}: {'; '.join(details)}" if details else head


def _worth_noting(container: Container, task: TaskState) -> bool:
    """Containers that failed or exited badly; not the ones that simply never started."""
    if failure_reason(container.reason):
        return True
    if container.exit_code is None:
        return container.stopped and task.stop_code == "EssentialContainerExited"
    return unclean_exit(container)


def _container_note(container: Container, task: TaskState) -> str:
    words = [container.name or "container"]
    if container.exit_code is not None:
        words.append(f"exited {container.exit_code}")
    elif container.stopped and task.stop_code == "EssentialContainerExited":
        words.append("exited without exit code")
    failure = failure_reason(container.reason)
    if failure:
        words.append(failure)
    return " ".join(words)


def _timings(task: TaskState, odd: Oddities) -> dict[str, float | None]:
    """Each duration once per task, on the record where it first matters.

    Start-up and pull times on the RUNNING record with desired RUNNING (the
    task came up), the run time on STOPPED; the other records of the task
    would repeat them, and a metric filter would count them again.
    """
    if task.last_status == "RUNNING" and task.desired_status == "RUNNING":
        return {
            "startupSeconds": _seconds(task, "createdAt", "startedAt", odd),
            "pullSeconds": _seconds(task, "pullStartedAt", "pullStoppedAt", odd),
        }
    if has_stopped(task):
        return {"runSeconds": _seconds(task, "startedAt", "stoppedAt", odd)}
    return {}


def _seconds(task: TaskState, start_key: str, end_key: str, odd: Oddities) -> float | None:
    start, end = task.time(start_key), task.time(end_key)
    if start is None or end is None:
        return None
    seconds = (end - start).total_seconds()
    if seconds < 0:
        odd.note(f"detail.{end_key} is before detail.{start_key}")
        return None
    return round(seconds, 3)
