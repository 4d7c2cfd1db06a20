"""Turn one EventBridge event from ECS into one log record: level, message, fields.

Every detail-type gets a summary; a task state change gets the full treatment
(classification, timings, per-container exits). Nothing here raises on an
event's shape: what cannot be read is left out and named in ``oddities``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .classify import KNOWN_STOP_CODES, classify_task, failure_reason, unclean_exit
from .parse import Oddities, clip, read_int, read_list, read_object, read_text, type_name
from .task_event import Container, TaskState, read_task_state

TASK_STATE_CHANGE = "ECS Task State Change"
CONTAINER_INSTANCE_STATE_CHANGE = "ECS Container Instance State Change"
SERVICE_ACTION = "ECS Service Action"
DEPLOYMENT_STATE_CHANGE = "ECS Deployment State Change"

# Service action and deployment events carry their own severity.
EVENT_TYPE_LEVELS = {"INFO": logging.INFO, "WARN": logging.WARNING, "ERROR": logging.ERROR}

# Long stopped reasons are cut in the message only; the field keeps them whole.
MESSAGE_REASON_LIMIT = 200


@dataclass(frozen=True)
class Summary:
    level: int
    message: str
    fields: dict[str, Any]


def summarise_event(event: Any) -> Summary:
    """The one record to log for ``event``; never raises on the event's shape."""
    odd = Oddities()
    if not isinstance(event, dict):
        odd.note(f"event is {type_name(event)}, expected object")
        return _finish(logging.WARNING, "unreadable event", {}, odd)

    envelope = {
        "detailType": read_text(event, "detail-type", odd, where="event", required=True),
        "eventId": read_text(event, "id", odd, where="event", required=True),
        "eventTime": read_text(event, "time", odd, where="event"),
    }
    detail_type = envelope["detailType"]
    summarise = DETAIL_SUMMARIES.get(detail_type or "", _summarise_other)
    level, message, fields = summarise(event, odd)
    return _finish(level, message, {**envelope, **fields}, odd)


def _finish(level: int, message: str, fields: dict[str, Any], odd: Oddities) -> Summary:
    if odd:
        level = max(level, logging.WARNING)
        fields["oddities"] = list(odd.notes)
    return Summary(level, message, {key: value for key, value in fields.items() if value is not None})


def _detail(event: dict[str, Any], odd: Oddities) -> dict[str, Any]:
    return read_object(event, "detail", odd, where="event", required=True) or {}


def _summarise_task(event: dict[str, Any], odd: Oddities) -> tuple[int, str, dict[str, Any]]:
    task = read_task_state(_detail(event, odd), odd)
    if task.stop_code and task.stop_code not in KNOWN_STOP_CODES:
        odd.note(f"unknown stopCode {task.stop_code!r}")
    verdict = classify_task(task)
    fields: dict[str, Any] = {
        "clusterArn": task.cluster_arn,
        "taskArn": task.task_arn,
        "taskId": task.task_id,
        "group": task.group,
        "service": task.service,
        "taskDefinitionArn": task.task_definition_arn,
        "launchType": task.launch_type,
        "capacityProviderName": task.capacity_provider,
        "lastStatus": task.last_status,
        "desiredStatus": task.desired_status,
        "version": task.version,
        "stopCode": task.stop_code,
        "stoppedReason": task.stopped_reason,
        "containers": [c.as_field() for c in task.containers] or None,
        "abnormal": verdict.abnormal,
        **_timings(task, odd),
    }
    return verdict.level, task_message(task), fields


def task_message(task: TaskState) -> str:
    """'task 5e1c2a9b STOPPED (service:orders-api, orders-api:42) EssentialContainerExited: app exited 137 ...'"""
    status = task.last_status or "UNKNOWN"
    if task.desired_status and task.desired_status != task.last_status:
        status = f"{status}->{task.desired_status}"
    head = f"task {(task.task_id or 'unknown')[:8]} {status}"
    context = ", ".join(part for part in (task.group, task.task_definition) if part)
    if context:
        head += f" ({context})"
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
    return {
        "startupSeconds": _seconds(task.created_at, task.started_at, "createdAt", "startedAt", odd),
        "pullSeconds": _seconds(task.pull_started_at, task.pull_stopped_at, "pullStartedAt", "pullStoppedAt", odd),
        "runSeconds": _seconds(task.started_at, task.stopped_at, "startedAt", "stoppedAt", odd),
    }


def _seconds(start: datetime | None, end: datetime | None, start_key: str, end_key: str, odd: Oddities) -> float | None:
    if start is None or end is None:
        return None
    seconds = (end - start).total_seconds()
    if seconds < 0:
        odd.note(f"detail.{end_key} is before detail.{start_key}")
        return None
    return round(seconds, 3)


def _summarise_container_instance(event: dict[str, Any], odd: Oddities) -> tuple[int, str, dict[str, Any]]:
    detail = _detail(event, odd)
    where = "detail"
    arn = read_text(detail, "containerInstanceArn", odd, where=where, required=True)
    status = read_text(detail, "status", odd, where=where)
    connected = detail.get("agentConnected")
    if connected is not None and not isinstance(connected, bool):
        odd.note(f"detail.agentConnected is {type_name(connected)}, expected boolean")
        connected = None
    ec2_instance = read_text(detail, "ec2InstanceId", odd, where=where)
    instance_id = arn.rsplit("/", 1)[-1] if arn else "unknown"
    message = f"container instance {instance_id[:8]} {status or 'UNKNOWN'}"
    if ec2_instance:
        message += f" ({ec2_instance})"
    if connected is False:
        message += " agent disconnected"
    fields = {
        "clusterArn": read_text(detail, "clusterArn", odd, where=where),
        "containerInstanceArn": arn,
        "ec2InstanceId": ec2_instance,
        "status": status,
        "statusReason": read_text(detail, "statusReason", odd, where=where),
        "agentConnected": connected,
        "version": read_int(detail, "version", odd, where=where),
    }
    level = logging.WARNING if connected is False else logging.INFO
    return level, message, fields


def _summarise_service_event(event: dict[str, Any], odd: Oddities) -> tuple[int, str, dict[str, Any]]:
    """Service actions and deployment state changes share one shape."""
    detail = _detail(event, odd)
    where = "detail"
    event_type = read_text(detail, "eventType", odd, where=where)
    event_name = read_text(detail, "eventName", odd, where=where, required=True)
    service_arn = read_text(detail, "serviceArn", odd, where=where) or _first_resource(event, odd)
    reason = read_text(detail, "reason", odd, where=where)
    service = service_arn.rsplit("/", 1)[-1] if service_arn else "unknown"
    message = f"service {service} {event_name or 'UNKNOWN'}"
    if reason:
        message += f": {clip(reason, MESSAGE_REASON_LIMIT)}"
    level = EVENT_TYPE_LEVELS.get(event_type or "INFO")
    if level is None:
        odd.note(f"unknown detail.eventType {event_type!r}")
        level = logging.INFO
    fields = {
        "clusterArn": read_text(detail, "clusterArn", odd, where=where),
        "serviceArn": service_arn,
        "eventType": event_type,
        "eventName": event_name,
        "deploymentId": read_text(detail, "deploymentId", odd, where=where),
        "reason": reason,
    }
    return level, message, fields


def _first_resource(event: dict[str, Any], odd: Oddities) -> str | None:
    resources = read_list(event, "resources", odd, where="event")
    first = resources[0] if resources else None
    return clip(first) if isinstance(first, str) and first else None


def _summarise_other(event: dict[str, Any], odd: Oddities) -> tuple[int, str, dict[str, Any]]:
    """Users widen the rule; an event this function does not know still gets a line."""
    source = read_text(event, "source", odd, where="event")
    detail_type = read_text(event, "detail-type", Oddities(), where="event") or "event without detail-type"
    resource = _first_resource(event, odd)
    message = f"{detail_type} from {source or 'unknown source'}"
    if resource:
        message += f" ({resource})"
    return logging.INFO, message, {"source": source, "resource": resource}


DETAIL_SUMMARIES: dict[str, Callable[[dict[str, Any], Oddities], tuple[int, str, dict[str, Any]]]] = {
    TASK_STATE_CHANGE: _summarise_task,
    CONTAINER_INSTANCE_STATE_CHANGE: _summarise_container_instance,
    SERVICE_ACTION: _summarise_service_event,
    DEPLOYMENT_STATE_CHANGE: _summarise_service_event,
}
