"""A generated week of a realistic fleet, as the log records the function writes for it.

Four services on one cluster: tasks start every hour or so (more by day), some are OOM-killed, a bad image tag
fails a deployment on Wednesday, a few tasks are stopped by scale-in. The events are the samples of tests/events,
renamed per task and timed, and each is summarised by the handler itself, so the records (and the metrics the
stack's filters take from them) are what the function would write. Seeded: the same week every run.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "tests" / "events"
START = datetime(2024, 5, 13, tzinfo=UTC)  # a Monday
SERVICES = {"orders-api": 1.0, "payments": 0.6, "search": 1.4, "checkout-worker": 0.4}  # tasks an hour, relatively


@dataclass(frozen=True)
class Logged:
    """One record: when it was logged, and its fields as Lambda's JSON format writes them."""

    at: datetime
    record: dict[str, Any]


def _sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return loaded


def _retimed(event: dict[str, Any], service: str, task_id: str, at: datetime) -> dict[str, Any]:
    text = json.dumps(event).replace("orders-api", service)
    old_id = event["detail"]["taskArn"].rsplit("/", 1)[-1] if "taskArn" in event["detail"] else None
    if old_id:
        text = text.replace(old_id, task_id)
    moved: dict[str, Any] = json.loads(text)
    moved["time"] = f"{at:%Y-%m-%dT%H:%M:%S}Z"
    moved["id"] = f"{task_id[:8]}-{at:%d%H%M%S}"
    return moved


def _shift_detail_times(event: dict[str, Any], seconds: float, stretch: float) -> None:
    """Move the detail's timestamps by ``seconds``, their distance from createdAt times ``stretch`` (so that
    start-up and pull times vary from task to task)."""
    detail = event["detail"]
    created = datetime.fromisoformat(str(detail.get("createdAt", event["time"])).replace("Z", "+00:00"))
    for key, value in list(detail.items()):
        if key.endswith("At") and isinstance(value, str) and value[:4].isdigit():
            at = datetime.fromisoformat(value.replace("Z", "+00:00"))
            moved = created + (at - created) * stretch + timedelta(seconds=seconds)
            detail[key] = f"{moved:%Y-%m-%dT%H:%M:%S.%f}"[:-3] + "Z"


def week_events(seed: int = 7) -> list[tuple[datetime, dict[str, Any]]]:
    """(when, event) for the week, in time order."""
    rng = random.Random(seed)
    life = [_sample(name) for name in ("task_provisioning", "task_pending", "task_running")]
    endings = {
        "task_stopped_scale_in": 0.78,
        "task_stopped_oom": 0.1,
        "task_stopped_essential_error": 0.07,
        "task_stopped_health_check": 0.05,
    }
    base_running = datetime.fromisoformat(life[2]["time"].replace("Z", "+00:00"))
    played: list[tuple[datetime, dict[str, Any]]] = []
    for hour in range(7 * 24):
        now = START + timedelta(hours=hour)
        daytime = 2.0 if 7 <= now.hour < 20 else 0.6
        for service, rate in SERVICES.items():
            for _ in range(rng.choices([0, 1, 2, 3], weights=[1, 2 * rate * daytime, rate * daytime, 0.3])[0]):
                at = now + timedelta(seconds=rng.randrange(3600))
                task_id = f"{rng.getrandbits(128):032x}"
                stretch = rng.uniform(0.5, 1.3) if rng.random() < 0.9 else rng.uniform(1.5, 4)
                stretch *= 1.4 if service == "search" else 1.0  # a bigger image
                for index, sample in enumerate(life):
                    event = _retimed(sample, service, task_id, at + timedelta(seconds=6 * index * stretch))
                    _shift_detail_times(event, (at - base_running).total_seconds(), stretch)
                    played.append((at + timedelta(seconds=6 * index * stretch), event))
                ending = rng.choices(list(endings), weights=list(endings.values()))[0]
                stop_at = at + timedelta(hours=rng.uniform(0.5, 20))
                stopped = _retimed(_sample(ending), service, task_id, stop_at)
                played.append((stop_at, stopped))
    wednesday = START + timedelta(days=2, hours=14, minutes=5)
    for minute in range(0, 25, 4):
        failed = _retimed(_sample("task_failed_to_start_image_pull"), "payments", f"{minute:032x}", wednesday)
        played.append((wednesday + timedelta(minutes=minute), failed))
    deployment = _retimed(_sample("deployment_state_change"), "payments", "0", wednesday + timedelta(minutes=26))
    played.append((wednesday + timedelta(minutes=26), deployment))
    rollback = _retimed(_sample("deployment_rollback"), "search", "0", START + timedelta(days=4, hours=10))
    played.append((START + timedelta(days=4, hours=10), rollback))
    end = START + timedelta(days=7)
    return sorted(((at, event) for at, event in played if at < end), key=lambda pair: pair[0])


def week_records(seed: int = 7) -> list[Logged]:
    """What the function logs for the week's events: the handler's summary of each, with the record's timestamp."""
    import sys  # noqa: PLC0415

    sys.path.insert(0, str(ROOT))
    from handler import app  # noqa: PLC0415
    from handler.summarise import summarise_event  # noqa: PLC0415

    app.forget_seen_events()
    logged = []
    for at, event in week_events(seed):
        summary = summarise_event(event)  # each event is a fresh object (week_events parses every one anew)
        if summary.key is not None and app.remember_event(summary.key):
            summary.mark_duplicate()
        level = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR"}.get(summary.level, "ERROR")
        record = {"@timestamp": f"{at:%Y-%m-%d %H:%M:%S}", "level": level, "message": summary.message, **summary.fields}
        logged.append(Logged(at, record))
    app.forget_seen_events()
    return logged
