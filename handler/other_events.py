"""Summaries of the ECS events other than task state changes.

The rule sends only task state changes; these arrive when a user widens it,
so this module is imported on first use, not at every cold start.
"""

from __future__ import annotations

import logging

from .parse import Oddities, clip, read_detail, read_int, read_list, read_text, type_name
from .summarise import MESSAGE_REASON_LIMIT

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from typing import Any

CONTAINER_INSTANCE_STATE_CHANGE = "ECS Container Instance State Change"
SERVICE_ACTION = "ECS Service Action"
DEPLOYMENT_STATE_CHANGE = "ECS Deployment State Change"

# Service action and deployment events carry their own severity.
EVENT_TYPE_LEVELS = {"INFO": logging.INFO, "WARN": logging.WARNING, "ERROR": logging.ERROR}


def summarise_other_event(
    detail_type: str | None, event: dict[str, Any], odd: Oddities
) -> tuple[int, str, dict[str, Any]]:
    if detail_type == CONTAINER_INSTANCE_STATE_CHANGE:
        return _summarise_container_instance(event, odd)
    if detail_type in (SERVICE_ACTION, DEPLOYMENT_STATE_CHANGE):
        return _summarise_service_event(event, odd)
    return _summarise_unknown(event, odd)


def _summarise_container_instance(event: dict[str, Any], odd: Oddities) -> tuple[int, str, dict[str, Any]]:
    detail = read_detail(event, odd)
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
    detail = read_detail(event, odd)
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


def _summarise_unknown(event: dict[str, Any], odd: Oddities) -> tuple[int, str, dict[str, Any]]:
    """Users widen the rule; an event this function does not know still gets a line."""
    source = read_text(event, "source", odd, where="event")
    detail_type = read_text(event, "detail-type", Oddities(), where="event") or "event without detail-type"
    resource = _first_resource(event, odd)
    message = f"{detail_type} from {source or 'unknown source'}"
    if resource:
        message += f" ({resource})"
    return logging.INFO, message, {"source": source, "resource": resource}
