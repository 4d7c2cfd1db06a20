"""Strip secrets from an event before any part of it is logged whole.

RunTask overrides carry environment variables (database URLs, tokens) in
``detail.overrides.containerOverrides[].environment``. Their values must never
reach the logs; their names may, because they help debugging. The rule is
applied to every ``environment`` key anywhere in the event, whatever its shape,
so a malformed or unexpected event cannot smuggle a value past it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from typing import Any


REDACTED = "***redacted***"
SECRET_KEYS = frozenset({"environment"})


def redact_event(event: Any) -> Any:
    """A JSON-safe copy of ``event`` with every environment value replaced."""
    if isinstance(event, dict):
        return {
            str(key): _redact_environment(value) if key in SECRET_KEYS else redact_event(value)
            for key, value in event.items()
        }
    if isinstance(event, list):
        return [redact_event(item) for item in event]
    if event is None or isinstance(event, (str, int, float, bool)):
        return event
    return str(event)


def _redact_environment(value: Any) -> Any:
    """Keep variable names, drop everything else."""
    if isinstance(value, list):
        return [_redact_variable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): REDACTED for key in value}
    return REDACTED


def _redact_variable(item: Any) -> Any:
    if isinstance(item, dict):
        name = item.get("name")
        kept: dict[str, Any] = {"name": name} if isinstance(name, str) else {}
        kept.update({str(key): REDACTED for key in item if key != "name" or not isinstance(name, str)})
        return kept
    return REDACTED
