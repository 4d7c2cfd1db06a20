"""Lambda entry point: one concise, secret-free log record per ECS event.

The runtime's JSON log format turns the record's ``extra`` fields into
top-level keys, so CloudWatch Logs Insights can query them without parsing.
"""

from __future__ import annotations

import logging

from .summarise import Summary, summarise_event

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from typing import Any

LOGGER_NAME = "ecs-task-events"
logger = logging.getLogger(LOGGER_NAME)

# ECS sends an event at least once: a second copy has the same task ARN and detail.version. A warm instance
# remembers the keys of the events it logged last, oldest out first (a dict keeps insertion order); a copy
# that reaches another instance, or comes after 1024 others, is not recognised.
SEEN_EVENTS_LIMIT = 1024
SEEN_EVENTS: dict[tuple[str, int], None] = {}


def remember_event(key: tuple[str, int]) -> bool:
    """Whether this instance has logged ``key`` before; it is remembered either way."""
    if key in SEEN_EVENTS:
        return True
    SEEN_EVENTS[key] = None
    if len(SEEN_EVENTS) > SEEN_EVENTS_LIMIT:
        del SEEN_EVENTS[next(iter(SEEN_EVENTS))]
    return False


def forget_seen_events() -> None:
    """Start afresh, as a new instance does (tests and benchmarks replay the same events)."""
    SEEN_EVENTS.clear()


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Log ``event`` and return what was logged (handy with ``aws lambda invoke``).

    It never raises: a raise would make Lambda retry the same event twice and
    then drop it, and a malformed event will not get better on a retry.
    """
    summary = safe_summary(event)
    if summary.key is not None and remember_event(summary.key):
        summary.mark_duplicate()
    emit(summary.level, summary.message, summary.fields)
    if logger.isEnabledFor(logging.DEBUG):
        from .redact import redact_event  # noqa: PLC0415 - only DEBUG needs it; spare the cold start

        try:
            redacted = redact_event(event)
        except RecursionError:  # nested deeper than Python recurses; the summary above is logged all the same
            emit(logging.DEBUG, "event too deeply nested to log whole", {})
        else:
            emit(logging.DEBUG, "event (redacted)", {"event": redacted})
    return {"level": logging.getLevelName(summary.level), "message": summary.message, **summary.fields}


def safe_summary(event: Any) -> Summary:
    """The summary, or a minimal one if summarising itself failed (a bug, not the event's fault)."""
    try:
        return summarise_event(event)
    except Exception as error:  # noqa: BLE001 - the last line of defence must catch everything
        return Summary(
            logging.ERROR,
            "could not summarise event",
            {"oddities": [f"internal error {type(error).__name__}"]},
        )


def emit(level: int, message: str, fields: dict[str, Any]) -> None:
    """``logger.log`` without its stack walk for the caller's file and line.

    The JSON log format prints a location only for exceptions, and the walk was
    a large share of the CPU time per event.
    """
    if logger.isEnabledFor(level):
        logger.handle(logger.makeRecord(logger.name, level, "(unknown file)", 0, message, (), None, extra=fields))
