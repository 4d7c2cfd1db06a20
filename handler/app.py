"""Lambda entry point: one concise, secret-free log record per ECS event.

The runtime's JSON log format turns the record's ``extra`` fields into
top-level keys, so CloudWatch Logs Insights can query them without parsing.
"""

from __future__ import annotations

import logging
import os

from .origin import home_of
from .summarise import Summary, summarise_event

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from typing import Any

    from .origin import Home

LOGGER_NAME = "ecs-task-events"
logger = logging.getLogger(LOGGER_NAME)
# Every record would otherwise look up its thread and process, which Lambda's JSON log format never prints.
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False

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


# Service actions that need no person: the scheduler retries throttled calls by itself.
UNATTENDED_ACTIONS = frozenset({"ECS_OPERATION_THROTTLED", "SERVICE_DISCOVERY_OPERATION_THROTTLED"})


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Log ``event`` and return what was logged (handy with ``aws lambda invoke``).

    It never raises on an event: a raise would make Lambda retry the same event twice and then drop it, and
    a malformed event will not get better on a retry. The one exception is a message to on-call that could
    not be sent (handler/notify.py): the record is logged first, then the invocation fails, so that Lambda
    retries and in the end parks the event in the failed-events queue.
    """
    if isinstance(event, dict) and "Records" in event:  # the relay queue, not ECS: members' forwarding alarms
        from .member_failure import is_relay_event  # noqa: PLC0415 - only the relay queue's invocations pay for it

        if is_relay_event(event):
            return relay_alarms(event, context)
    summary = safe_summary(event, home_of(context))
    # Decided before a copy loses its verdict: a copy counts in no metric, but it may still have to send the
    # message (Lambda's retry after a failed publish is a copy too); the table tells notify() whether it went out.
    message_fields = dict(summary.fields) if wants_message(summary.fields) else None
    if summary.key is not None and remember_event(summary.key):
        summary.mark_duplicate()
    emit(summary.level, summary.message, summary.fields)
    if message_fields is not None and os.environ.get("NOTIFY_TOPIC_ARN"):
        from .notify import notify  # noqa: PLC0415 - only events that notify pay for it (and for boto3)

        notify(message_fields, event, context)  # its deadline bounds the message's claim
    if logger.isEnabledFor(logging.DEBUG):
        from .redact import redact_event  # noqa: PLC0415 - only DEBUG needs it; spare the cold start

        try:
            redacted = redact_event(event)
        except RecursionError:  # nested deeper than Python recurses; the summary above is logged all the same
            emit(logging.DEBUG, "event too deeply nested to log whole", {})
        else:
            emit(logging.DEBUG, "event (redacted)", {"event": redacted})
    return {"level": logging.getLevelName(summary.level), "message": summary.message, **summary.fields}


def relay_alarms(event: dict[str, Any], context: Any = None) -> dict[str, list[dict[str, str]]]:
    """One record per queue message, and for each member alarm that went to ALARM one message to on-call.

    A message that could not be sent is reported back by its messageId (ReportBatchItemFailures: "Implementing
    partial batch responses", Lambda Developer Guide), so the queue hands it over again and the others are not
    sent twice; after the queue's receive limit it moves to the failed-events queue. Only a failure of a record
    without a messageId fails the whole batch: the queue then returns all of it.
    """
    from .member_failure import alarm_of, failure_notice, notification_of, record_of  # noqa: PLC0415 - the caller's

    notices = []
    for record in event["Records"]:
        notification = notification_of(record)
        alarm = alarm_of(notification)
        level, message, fields = record_of(alarm, notification.get("TopicArn") if notification else None)
        emit(level, message, fields)
        notice = failure_notice(alarm) if alarm is not None else None
        if notice is not None:
            notices.append((record.get("messageId"), notice))
    failures = []
    if notices and os.environ.get("NOTIFY_TOPIC_ARN"):
        from .notify import send  # noqa: PLC0415 - only alarms that notify pay for it (and for boto3)

        for message_id, notice in notices:
            try:
                send(notice, context)
            except Exception as error:
                if not isinstance(message_id, str) or not message_id:
                    raise
                emit(
                    logging.WARNING,
                    "message to on-call not sent; the relay queue hands the alarm over again",
                    {"messageId": message_id, "error": type(error).__name__},
                )
                failures.append({"itemIdentifier": message_id})
    # The response holds nothing but the failures, in the syntax Lambda reads (the records are in the log).
    return {"batchItemFailures": failures}


def wants_message(fields: dict[str, Any]) -> bool:
    """Does this record call for a message to on-call? Decided here, importing nothing.

    An abnormally stopped task's STOPPED record (a copy this instance recognised has no ``abnormal``), a failed
    deployment or one rolling back, a service action at WARN or ERROR that a person must look at.
    """
    if fields.get("abnormal"):
        return True
    name = fields.get("eventName")
    if name is None:
        return False
    detail_type = fields.get("detailType")
    if detail_type == "ECS Deployment State Change":
        if name == "SERVICE_DEPLOYMENT_FAILED":
            return True
        reason = str(fields.get("reason") or "").lower()
        return name == "SERVICE_DEPLOYMENT_IN_PROGRESS" and ("rolling back" in reason or "rollback" in reason)
    return (
        detail_type == "ECS Service Action"
        and fields.get("eventType") in ("WARN", "ERROR")
        and (name not in UNATTENDED_ACTIONS)
    )


def safe_summary(event: Any, home: Home = (None, None)) -> Summary:
    """The summary, or a minimal one if summarising itself failed (a bug, not the event's fault)."""
    try:
        return summarise_event(event, home)
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
        # What makeRecord does, less its per-field clash checks: no field is named like a LogRecord attribute
        # (a test holds every sample's fields to that).
        record = logging.getLogRecordFactory()(logger.name, level, "(unknown file)", 0, message, (), None)
        record.__dict__.update(fields)
        logger.handle(record)
