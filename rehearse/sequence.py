"""The default sequence of ECS events the rehearsal plays: a morning in the life of two teams' services.

Built from the real-shaped samples in tests/events, each task with an id of its own, in the order ECS
would send them, and moved in time so that its last event happened a minute ago: CloudWatch Logs takes no log
event more than 14 days old ("PutLogEvents", CloudWatch Logs API Reference), so the containers' own lines, which
the function reads back from the stop, can only be there for a stop of the last days.

Beside the events, the containers' own log streams, written into moto before the events play: the awslogs driver
names each stream ``PREFIX/CONTAINER/TASK_ID`` ("awslogs-stream-prefix", "Send Amazon ECS logs to CloudWatch",
docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html), in the log group the ECS console creates
for a task definition family, ``/ecs/FAMILY``.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent.parent / "tests" / "events"
HEALTHY_TASK = "7a1d2c3b4e5f60718293a4b5c6d7e8f9"
OOM_TASK = "5e1c2a9b0d3f4e6a8b7c9d0e1f2a3b4c"
PAYMENTS_TASK = "9b4f1e7c2d3a4b5c8e6f0a1b2c3d4e5f"
# The second team's service, and the route that rehearses its own topic.
PAYMENTS_SERVICE = "payments-api"
# The credential the OOM task's application writes into its log: the rehearsal must never show it.
LOGGED_SECRET = "pg-Pr0d-s3cret"
# How long before this moment the morning's last event happened.
LAST_EVENT_AGO = timedelta(minutes=1)
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


@dataclass(frozen=True)
class AppStream:
    """A container's awslogs stream: (milliseconds since the epoch, text) in order."""

    group: str
    stream: str
    lines: list[tuple[int, str]]


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


def _of_service(event: dict[str, Any], service: str, event_id: str) -> dict[str, Any]:
    """The same event for another service of the cluster: its name in the group, task definition, image, ARNs."""
    renamed: dict[str, Any] = json.loads(json.dumps(event).replace("orders-api", service))
    renamed["id"] = event_id
    return renamed


def _shift_times(value: Any, by: timedelta) -> Any:
    """Every ISO timestamp in ``value`` moved by ``by``, written with as many fraction digits as before."""
    if isinstance(value, dict):
        return {key: _shift_times(item, by) for key, item in value.items()}
    if isinstance(value, list):
        return [_shift_times(item, by) for item in value]
    if isinstance(value, str) and ISO_TIME.fullmatch(value):
        moved = _parse(value) + by
        digits = len(value[20:-1]) if "." in value else 0
        fraction = f".{moved.microsecond:06d}"[: digits + 1] if digits else ""
        return f"{moved:%Y-%m-%dT%H:%M:%S}{fraction}Z"
    return value


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


def _times(value: Any) -> list[datetime]:
    if isinstance(value, dict):
        return [stamp for item in value.values() for stamp in _times(item)]
    if isinstance(value, list):
        return [stamp for item in value for stamp in _times(item)]
    return [_parse(value)] if isinstance(value, str) and ISO_TIME.fullmatch(value) else []


def default_sequence(now: datetime | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(label, event) pairs: a deployment, a healthy task's life, an OOM-killed task, a task that cannot pull
    its image, a failed deployment, the payments team's task that cannot reach its database and its failed
    deployment, and another cluster's event the rule must leave alone; the last of them a minute before ``now``."""
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
    payments_stop = _shift_times(  # a quarter of an hour before the OOM kill
        _of_service(
            _as_task(sample("task_stopped_essential_error"), PAYMENTS_TASK, "4d2f7a10-payments-stop"),
            PAYMENTS_SERVICE,
            "4d2f7a10-payments-stop",
        ),
        -timedelta(minutes=15),
    )
    payments_deployment = _of_service(sample("deployment_state_change"), PAYMENTS_SERVICE, "4d2f7a10-payments-dep")
    morning = [
        ("a deployment starts", deployment_started),
        *((f"healthy task: {event['detail']['lastStatus']}", event) for event in healthy),
        ("OOM task: PROVISIONING", sample("task_provisioning")),
        ("OOM task: PENDING", sample("task_pending")),
        ("OOM task: RUNNING", sample("task_running")),
        ("OOM task: STOPPED (out of memory)", sample("task_stopped_oom")),
        ("a task cannot pull its image", sample("task_failed_to_start_image_pull")),
        ("the deployment fails", sample("deployment_state_change")),
        (f"{PAYMENTS_SERVICE}: a task exits 1 (its database refuses it)", payments_stop),
        (f"{PAYMENTS_SERVICE}: its deployment fails", payments_deployment),
        ("another cluster's task", _in_cluster(sample("task_running"), "other")),
    ]
    last = max(stamp for _, event in morning for stamp in _times(event))
    by = (now or datetime.now(UTC)) - LAST_EVENT_AGO - last
    by -= timedelta(microseconds=by.microseconds)  # whole seconds: the samples' milliseconds stay as they were
    return [(label, _shift_times(event, by)) for label, event in morning]


def app_streams(sequence: list[tuple[str, dict[str, Any]]]) -> list[AppStream]:
    """The awslogs streams of the morning's failed tasks, their lines timed back from each task's stop: the
    OOM-killed task's ordinary lines, then one that holds a credential; the payments task's refused connection."""
    stops = {
        event["detail"]["taskArn"].rsplit("/", 1)[-1]: int(_parse(event["detail"]["stoppedAt"]).timestamp() * 1000)
        for _, event in sequence
        if event.get("detail-type") == "ECS Task State Change" and event["detail"].get("stoppedAt")
    }
    streams = []
    if OOM_TASK in stops:
        stop = stops[OOM_TASK]
        ordinary = [
            "GET /orders/81731 200 14ms",
            "GET /orders/81732 200 11ms",
            "POST /orders 201 48ms",
            "export job started: 120000 orders in memory",
        ]
        lines = [(stop - 60_000 + index * 5_000, text) for index, text in enumerate(ordinary)]
        lines += [
            (stop - 9_000, f"reconnecting to postgres://orders:{LOGGED_SECRET}@db.internal:5432/orders"),
            (stop - 4_000, "export job: heap 498 MiB of 512 MiB"),
            (stop - 1_000, "FATAL: JavaScript heap out of memory"),
        ]
        streams.append(AppStream("/ecs/orders-api", f"ecs/app/{OOM_TASK}", lines))
    if PAYMENTS_TASK in stops:
        stop = stops[PAYMENTS_TASK]
        lines = [
            (stop - 3_000, "payments-api 4.2.0 starting"),
            (stop - 2_000, "connecting to db:5432"),
            (stop - 1_000, "Error: connect ECONNREFUSED 10.0.3.7:5432"),
        ]
        streams.append(AppStream(f"/ecs/{PAYMENTS_SERVICE}", f"ecs/app/{PAYMENTS_TASK}", lines))
    return streams
