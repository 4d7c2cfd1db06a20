"""Lambda entry point: one concise, secret-free log record per ECS event.

The runtime's JSON log format turns the record's ``extra`` fields into
top-level keys, so CloudWatch Logs Insights can query them without parsing.
"""

from __future__ import annotations

import logging
from typing import Any

from .redact import redact_event
from .summarise import Summary, summarise_event

LOGGER_NAME = "ecs-task-events"
logger = logging.getLogger(LOGGER_NAME)


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Log ``event`` and return what was logged (handy with ``aws lambda invoke``).

    It never raises: a raise would make Lambda retry the same event twice and
    then drop it, and a malformed event will not get better on a retry.
    """
    summary = safe_summary(event)
    logger.log(summary.level, summary.message, extra=summary.fields)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("event (redacted)", extra={"event": redact_event(event)})
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
