"""Defensive readers for event fields.

ECS events are JSON, but the function must survive anything: a field may be
missing, null or of the wrong type. Each reader returns a clean value or None
and notes what was odd, so the summary can say so instead of crashing.
"""

from __future__ import annotations

from datetime import UTC, datetime

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from typing import Any

# Strings from the event are cut to this length so one odd event cannot
# blow up the log bill; ECS reasons are far shorter in practice.
MAX_TEXT = 1024


class Oddities:
    """Collects what was unexpected about one event's shape, in order."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def __bool__(self) -> bool:
        return bool(self.notes)


def type_name(value: object) -> str:
    """JSON-flavoured name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_text(source: dict[str, Any], key: str) -> str | None:
    """The common case, in one cheap call: a non-empty string of sane length; None sends the caller to read_text.

    About twenty fields of every event are read, so this is where the handler's CPU time goes.
    """
    value = source.get(key)
    return value if value.__class__ is str and value and len(value) <= MAX_TEXT else None


def read_texts(
    source: dict[str, Any], keys: tuple[str, ...], required: frozenset[str], odd: Oddities, *, where: str
) -> list[str | None]:
    """read_text of each key, the common case for all of them in one pass."""
    values = [v if v.__class__ is str and v and len(v) <= MAX_TEXT else None for v in map(source.get, keys)]
    if None in values:
        for index, key in enumerate(keys):
            if values[index] is None and (key in required or key in source):
                values[index] = read_text(source, key, odd, where=where, required=key in required)
    return values


def read_text(source: dict[str, Any], key: str, odd: Oddities, *, where: str, required: bool = False) -> str | None:
    """A non-empty string field, or None (noting a wrong type, or a missing required one)."""
    value = source.get(key)
    if value.__class__ is str and value:  # the common case first: this runs ~20 times per event
        return value if len(value) <= MAX_TEXT else clip(value)
    if value is None or value == "":
        if required:
            odd.note(f"{where}.{key} is missing")
        return None
    odd.note(f"{where}.{key} is {type_name(value)}, expected string")
    return None


def read_int(source: dict[str, Any], key: str, odd: Oddities, *, where: str) -> int | None:
    """An integer field; numeric strings ("137") are accepted, as some producers send them."""
    value = source.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        odd.note(f"{where}.{key} is boolean, expected number")
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    odd.note(f"{where}.{key} is {type_name(value)}, expected integer")
    return None


def read_object(
    source: dict[str, Any], key: str, odd: Oddities, *, where: str, required: bool = False
) -> dict[str, Any] | None:
    value = source.get(key)
    if isinstance(value, dict):
        return value
    if value is None:
        if required:
            odd.note(f"{where}.{key} is missing")
        return None
    odd.note(f"{where}.{key} is {type_name(value)}, expected object")
    return None


def read_detail(event: dict[str, Any], odd: Oddities) -> dict[str, Any]:
    """The event's ``detail`` object; an empty one (noted) if it is missing or not an object."""
    return read_object(event, "detail", odd, where="event", required=True) or {}


def read_list(source: dict[str, Any], key: str, odd: Oddities, *, where: str) -> list[Any]:
    value = source.get(key)
    if isinstance(value, list):
        return value
    if value is not None:
        odd.note(f"{where}.{key} is {type_name(value)}, expected array")
    return []


def read_time(source: dict[str, Any], key: str, odd: Oddities, *, where: str) -> datetime | None:
    """An ISO 8601 timestamp as ECS writes it, with or without milliseconds."""
    value = source.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        odd.note(f"{where}.{key} is {type_name(value)}, expected timestamp")
        return None
    parsed = parse_timestamp(value)
    if parsed is None:
        odd.note(f"{where}.{key} is not a timestamp: {clip(value, 40)!r}")
    return parsed


def parse_timestamp(text: str) -> datetime | None:
    """Parse '2024-05-01T12:00:00Z' or '2024-05-01T12:00:00.123Z'; None if not a timestamp.

    Python 3.11+ reads a trailing 'Z' itself; 3.10 needs it spelled '+00:00'.
    Timestamps without a zone are taken as UTC, which is what ECS means.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        if not text.endswith(("Z", "z")):
            return None
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00")
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
