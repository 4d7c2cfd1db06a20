"""Where a failed task's own container logs are: the log groups to look in, the query, the minutes to look at.

Pure functions of the record's fields and the configured groups; no AWS call (the link is only a URL).

The awslogs driver names each container's stream ``PREFIX/CONTAINER/TASK_ID`` ("awslogs-stream-prefix",
"Send Amazon ECS logs to CloudWatch", docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html),
so the task id picks out the task's own streams whatever the prefix. The console names the group it creates
``/ecs/TASK_DEFINITION_FAMILY`` ("Amazon ECS container logs for EC2 and Fargate launch types", AWS Prescriptive
Guidance): a configured prefix such as ``/ecs/`` is completed with the task's family. The Logs Insights console
takes log group names only (its SOURCE command, which selects groups by prefix, "is supported only in the AWS CLI
and API, not in the CloudWatch console": "SOURCE", CloudWatch Logs User Guide).

What the event cannot say: which log driver each container used. It is in the task definition, which the event
does not carry and the function does not read (ecs:DescribeTaskDefinition cannot be limited to one task
definition, and would show every task definition's environment).
"""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from typing import Any

GROUPS_ENV = "CONTAINER_LOG_GROUPS"
# The minutes before the stop that the link opens on, and the little after it (the last lines reach the group late).
BEFORE_STOP_SECONDS = 15 * 60
AFTER_STOP_SECONDS = 2 * 60
# Container names that, by the FireLens documentation's examples ("log_router") and common use, route the
# others' logs: their lines are wherever FireLens sends them.
LOG_ROUTER_NAMES = ("log_router", "log-router", "logrouter", "firelens", "fluent-bit", "fluentbit", "fluentd")


def configured_groups(environ: Any = None) -> list[str]:
    """CONTAINER_LOG_GROUPS as a list of names and prefixes; [] when unset or unreadable."""
    raw = (os.environ if environ is None else environ).get(GROUPS_ENV) or ""
    try:
        listed = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [entry for entry in listed if isinstance(entry, str) and entry] if isinstance(listed, list) else []


def family_of(task_definition: Any) -> str | None:
    """'orders-api' of 'orders-api:42' (the record's taskDefinition) or of a task definition ARN."""
    if not isinstance(task_definition, str) or not task_definition:
        return None
    name = task_definition.rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[0] if ":" in name else name


def log_groups(entries: list[str], family: str | None) -> list[str]:
    """The log group names to look in: names as given; a prefix ('/ecs/', '/ecs/*') completed with the family."""
    named = [entry for entry in entries if not entry.endswith(("/", "*"))]
    completed = [entry.rstrip("*") + family for entry in entries if entry.endswith(("/", "*")) and family]
    return list(dict.fromkeys(name for name in completed + named))


def streams_query(task_id: str) -> str:
    """Logs Insights: the task's own streams, newest line first. The task id is hex; FireLens streams that carry
    it (Fluent Bit's cloudwatch_logs output names streams after the tag, which holds the task id) match too."""
    return (
        "fields @timestamp, @logStream, @message\n"
        f'| filter @logStream like "{task_id}"\n'
        "| sort @timestamp desc\n"
        "| limit 200"
    )


def log_router(containers: Any) -> str | None:
    """The name of a container that looks like a FireLens log router, if the task has one."""
    for container in containers if isinstance(containers, list) else []:
        name = container.get("name") if isinstance(container, dict) else None
        if isinstance(name, str) and name.lower() in LOG_ROUTER_NAMES:
            return name
    return None


def elsewhere_note(groups: list[str], router: str | None) -> str | None:
    """What the message says when the link may find nothing: a log router, or no group to look in."""
    if not groups:
        return "the task definition's family is unknown, so no log group could be named from the prefixes"
    if router:
        return (
            f"this task has a log router ({router}): containers that log through FireLens (or splunk, or another "
            f"driver) are not in {', '.join(groups)} unless it sends them there"
        )
    return None
