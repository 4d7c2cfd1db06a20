"""The default sequence of ECS events the rehearsal plays: a morning in the life of one service.

Built from the real-shaped samples in tests/events, each task with an id of its own, in the order ECS
would send them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent.parent / "tests" / "events"
HEALTHY_TASK = "7a1d2c3b4e5f60718293a4b5c6d7e8f9"


def sample(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return document


def _as_task(event: dict[str, Any], task_id: str, event_id: str) -> dict[str, Any]:
    """The same event for another task: its id in the task ARN (and the envelope's resources), a new event id."""
    text = json.dumps(event)
    old_id = event["detail"]["taskArn"].rsplit("/", 1)[-1]
    renamed: dict[str, Any] = json.loads(text.replace(old_id, task_id))
    renamed["id"] = event_id
    return renamed


def _in_cluster(event: dict[str, Any], cluster: str) -> dict[str, Any]:
    moved: dict[str, Any] = json.loads(json.dumps(event).replace("cluster/demo", f"cluster/{cluster}"))
    moved["detail"]["taskArn"] = moved["detail"]["taskArn"].replace("task/demo/", f"task/{cluster}/")
    moved["id"] = f"{event['id'][:-4]}0th3"
    return moved


def default_sequence() -> list[tuple[str, dict[str, Any]]]:
    """(label, event) pairs: a deployment, a healthy task's life, an OOM-killed task, a task that cannot pull
    its image, a failed deployment, and another cluster's event the rule must leave alone."""
    deployment_started = copy.deepcopy(sample("deployment_state_change"))
    deployment_started["id"] = "ddca6449-b258-46c0-8653-e0e3a6d04601"
    deployment_started["time"] = "2024-05-14T08:59:50Z"
    deployment_started["detail"].update(
        eventType="INFO", eventName="SERVICE_DEPLOYMENT_IN_PROGRESS", reason="ECS deployment in progress."
    )
    healthy = [
        _as_task(sample(name), HEALTHY_TASK, f"6c1f0e2a-healthy-{index}")
        for index, name in enumerate(("task_provisioning", "task_pending", "task_running"))
    ]
    return [
        ("a deployment starts", deployment_started),
        *((f"healthy task: {event['detail']['lastStatus']}", event) for event in healthy),
        ("OOM task: PROVISIONING", sample("task_provisioning")),
        ("OOM task: PENDING", sample("task_pending")),
        ("OOM task: RUNNING", sample("task_running")),
        ("OOM task: STOPPED (out of memory)", sample("task_stopped_oom")),
        ("a task cannot pull its image", sample("task_failed_to_start_image_pull")),
        ("the deployment fails", sample("deployment_state_change")),
        ("another cluster's task", _in_cluster(sample("task_running"), "other")),
    ]
