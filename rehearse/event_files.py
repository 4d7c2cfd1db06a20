"""The rehearsal's event files: each an ECS event (a JSON object) or a JSON array of them.

Every problem is one line naming the file (and the item of an array) and the fix, all of them at once, before
anything is deployed. An event must carry the envelope EventBridge puts on every event it delivers: TestEventPattern
refuses an event without ``id``, ``account``, ``source``, ``time``, ``region``, ``resources`` and ``detail-type``
(EventBridge API Reference, TestEventPattern), and ``detail`` is where an ECS event says what happened ("Event
structure reference"). A bare ``detail``, the part most people copy from a console or a log, can be wrapped in
an envelope with ``--wrap-detail``.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# TestEventPattern's mandatory fields, and the detail the handler reads.
ENVELOPE = ("id", "account", "source", "time", "region", "resources", "detail-type")
WHAT_A_FILE_HOLDS = "an ECS event (a JSON object, as in tests/events/task_stopped_oom.json) or a JSON array of them"
WRAP_HINT = "add --wrap-detail to wrap it in an EventBridge envelope, or give the whole event"


class EventFileError(ValueError):
    """Every problem with the event files, one line each."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a JSON boolean"
    if isinstance(value, int | float):
        return "a JSON number"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, list):
        return "a JSON array"
    return "JSON null" if value is None else "a JSON object"


def detail_type_of(detail: Mapping[str, Any]) -> str | None:
    """Which ECS event a bare detail belongs to, by the fields only that detail type has."""
    if "taskArn" in detail or "lastStatus" in detail:
        return "ECS Task State Change"
    if "deploymentId" in detail:
        return "ECS Deployment State Change"
    if "eventName" in detail:
        return "ECS Service Action"
    if "containerInstanceArn" in detail and "ec2InstanceId" in detail:
        return "ECS Container Instance State Change"
    return None


def wrap_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """The envelope ECS would have sent ``detail`` in: account and region from its ARNs, time from the detail."""
    arn = next((str(detail[key]) for key in ("taskArn", "clusterArn", "containerInstanceArn") if detail.get(key)), "")
    parts = arn.split(":")
    region, account = (parts[3], parts[4]) if len(parts) > 5 else ("", "")
    resources = [str(detail[key]) for key in ("taskArn", "containerInstanceArn") if isinstance(detail.get(key), str)]
    stamp = str(detail.get("updatedAt") or detail.get("createdAt") or "")[:19]
    time = f"{stamp}Z" if len(stamp) == 19 else f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}Z"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type_of(detail),
        "source": "aws.ecs",
        "account": account,
        "time": time,
        "region": region,
        "resources": resources,
        "detail": dict(detail),
    }


def envelope_problem(event: Mapping[str, Any]) -> str | None:
    """What keeps ``event`` from being an event EventBridge delivers, or None."""
    missing = [key for key in ENVELOPE if key not in event]
    detail = event.get("detail")
    if not missing and isinstance(detail, Mapping):
        return None
    if not any(key in event for key in (*ENVELOPE, "detail")) and detail_type_of(event):
        return (
            f"this looks like the detail of an {detail_type_of(event)} without its envelope "
            f"({', '.join(ENVELOPE)}, detail); {WRAP_HINT}"
        )
    if "detail" not in event:
        missing.append("detail")
    elif not isinstance(detail, Mapping):
        return f"its detail is {_json_kind(detail)}, not a JSON object; an ECS event's detail says what happened"
    return (
        f"not an event EventBridge delivers: no {', '.join(repr(key) for key in missing)} (TestEventPattern "
        "refuses an event without id, account, source, time, region, resources and detail-type); give the whole "
        "event, as in tests/events/task_stopped_oom.json"
    )


def _document(path: str) -> Any:
    """The file's JSON, or a one-line ValueError saying what is wrong with it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"not UTF-8 text; it should hold {WHAT_A_FILE_HOLDS}") from None
    except OSError as error:
        raise ValueError(
            f"cannot be read ({error.strerror}); give the path of a file holding {WHAT_A_FILE_HOLDS}"
        ) from None
    if not text.strip():
        raise ValueError(f"the file is empty; it should hold {WHAT_A_FILE_HOLDS}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"not JSON ({error.msg} at line {error.lineno}, column {error.colno}); it should hold {WHAT_A_FILE_HOLDS}"
        ) from None
    except RecursionError:
        raise ValueError(
            f"nested too deeply for Python's json parser (about {sys.getrecursionlimit()} levels); "
            "an ECS event is a few levels deep"
        ) from None


def read_events(paths: Sequence[str], *, wrap: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """(label, event) for every event of the files, in order; EventFileError listing every problem.

    With ``wrap``, an object that is a bare ECS detail is played in the envelope ECS would have sent it in.
    """
    events: list[tuple[str, dict[str, Any]]] = []
    problems: list[str] = []
    for path in paths:
        try:
            document = _document(path)
        except ValueError as error:
            problems.append(f"{path}: {error}")
            continue
        if isinstance(document, list) and not document:
            problems.append(f"{path}: an empty JSON array, no events to play; put {WHAT_A_FILE_HOLDS} in it")
            continue
        items = document if isinstance(document, list) else [document]
        for index, given in enumerate(items):
            label = f"{path}[{index}]" if isinstance(document, list) else path
            item = given
            if not isinstance(item, dict):
                where = f"item [{index}] is" if isinstance(document, list) else "it holds"
                problems.append(
                    f"{label}: {where} {_json_kind(item)}, not an event; it should hold {WHAT_A_FILE_HOLDS}"
                )
                continue
            if wrap and not any(key in item for key in (*ENVELOPE, "detail")) and detail_type_of(item):
                item = wrap_detail(item)
            problem = envelope_problem(item)
            if problem:
                problems.append(f"{label}: {problem}")
                continue
            events.append((label, item))
    if problems:
        raise EventFileError(problems)
    return events
