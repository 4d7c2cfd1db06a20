"""Where a service's ECS Action Logs are: the log group, the query, the minutes to look at.

Pure functions of the record's fields and the configured group; no AWS call (the link is only a URL).

ECS delivers a cluster's Action Logs with one stream per sub-resource, named by its ``actionSourceId``, which is
``service/CLUSTER/SERVICE`` for a service (the stream name: "Monitor Amazon ECS operations with Action Logs",
Amazon ECS Developer Guide, "Log destinations and organization"; the id's forms: "Troubleshooting with Amazon ECS
Action Logs", whose examples write it ``service/my-cluster/my-service`` and, for a daemon, as a whole ARN). The
query matches both forms, and no other service's: a name is followed by nothing.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from typing import Any

GROUP_ENV = "ACTION_LOGS_GROUP"
# A deployment's actions start when it does, which may be long before it fails; the rest arrive a little late.
BEFORE_EVENT_SECONDS = 60 * 60
AFTER_EVENT_SECONDS = 15 * 60
# The service actions whose "why" is in the Action Logs, besides every deployment message.
LINKED_SERVICE_ACTIONS = ("SERVICE_TASK_PLACEMENT_FAILURE",)


def configured_group(environ: Any = None) -> str | None:
    """ACTION_LOGS_GROUP, the log group the clusters' Action Logs are delivered to; None when it is off."""
    group = (os.environ if environ is None else environ).get(GROUP_ENV) or ""
    return group.strip() or None


def wants_link(kind: str, event_name: Any) -> bool:
    """A failed or rolling-back deployment, or a placement failure: the messages whose cause ECS logs there."""
    return kind == "deployment" or event_name in LINKED_SERVICE_ACTIONS


def service_query(cluster: str | None, service: str) -> str:
    """Logs Insights: the service's Action Logs, oldest first; in any of the group's clusters when the event does
    not say which (a short service ARN without a clusterArn)."""
    source = _literal(f"service/{cluster}/" if cluster else "service/") + ("" if cluster else "[\\w-]+\\/")
    source += _literal(service)
    return (
        "fields @timestamp, logLevel, eventName, detail.eventName, detail.statusReason, @logStream\n"
        f"| filter actionSourceId like /(^|:){source}$/\n"
        "| sort @timestamp asc\n"
        "| limit 500"
    )


def _literal(text: str) -> str:
    """``text`` as a regular expression matching itself, '/' escaped for the /.../ around it. ECS names are letters,
    digits, '-' and '_' (CreateCluster, CreateService), left as they are; anything else an odd event carries is
    escaped."""
    return "".join(char if char.isascii() and (char.isalnum() or char in "-_") else "\\" + char for char in text)
