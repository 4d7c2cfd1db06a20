"""The last lines a failed task's containers wrote before it stopped (containerLogLines), read with FilterLogEvents.

Why FilterLogEvents: it is the one call that finds a task's streams by the task id alone. The awslogs stream is
PREFIX/CONTAINER/TASK_ID, and the prefix is in the task definition, which the function does not read; GetLogEvents
needs the whole stream name, DescribeLogStreams filters by prefix only. FilterLogEvents returns each event's
logStreamName, so the task's own lines are picked out here, and it is authorised on the log group
("Actions, resources, and condition keys for Amazon CloudWatch Logs", Service Authorization Reference:
FilterLogEvents, resource type log-group), so the role reads the named groups and nothing else. A Logs Insights
query (StartQuery, then GetQueryResults until it completes) takes seconds, is billed per GB scanned, and
GetQueryResults has no resource type, so it would need "*".

It reads back from the stop in widening windows (the last minute, then five, then fifteen), newest window first,
so the last lines are found without reading the whole quarter of an hour of a busy group. Every failure (no
permission, a deleted group, throttling, too little time) costs the lines, never the message: the result says why.
"""

from __future__ import annotations

from .log_redact import redact_line

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from collections.abc import Callable
    from typing import Any

LINES_ENV = "CONTAINER_LOG_LINES"
# Windows back from the stop, in seconds: newest first.
WINDOWS = ((60, 0), (5 * 60, 60), (15 * 60, 5 * 60))
# The lines that reach the group after the stop (the driver flushes its buffer as the container exits).
AFTER_STOP_MILLIS = 30_000
# Pages of one window read at most: 10,000 events or 1 MB each (FilterLogEvents, CloudWatch Logs API Reference).
MAX_PAGES = 3
# A line in a message is cut to this many characters; all the lines together to MAX_TOTAL_CHARACTERS, which
# keeps the email readable and the chat text far under SNS's 256 KB message limit (SNS API Reference, Publish).
MAX_LINE_CHARACTERS = 300
MAX_TOTAL_CHARACTERS = 4000


class Lines:
    """What was found: (stream, text) newest last, and why there are fewer than asked, if there are."""

    __slots__ = ("lines", "problem")

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []
        self.problem: str | None = None


def wanted_lines(environ: Any) -> int:
    """CONTAINER_LOG_LINES as a number of lines, 0 when unset or unreadable."""
    raw = environ.get(LINES_ENV) or "0"
    return int(raw) if raw.isdigit() else 0


def read_last_lines(
    logs: Any,
    groups: list[str],
    task_id: str,
    *,
    stop_millis: int,
    count: int,
    time_left: Callable[[], float],
    call_seconds: float,
) -> Lines:
    """At most ``count`` lines of ``task_id``'s streams in ``groups`` before ``stop_millis``; never raises.

    ``time_left()`` is what the invocation may still spend here; a call starts only if ``call_seconds`` fit in it.
    """
    found = Lines()
    newest: list[tuple[int, str, str]] = []
    for group in groups:
        try:
            lines = _group_lines(
                logs,
                group,
                task_id,
                stop_millis=stop_millis,
                count=count,
                time_left=time_left,
                call_seconds=call_seconds,
            )
        except OutOfTime:
            found.problem = "too little of the invocation was left to read them (a longer function timeout helps)"
            break
        except Exception as error:  # noqa: BLE001 - whatever goes wrong costs the lines, never the message
            found.problem = f"{group} could not be read ({_error_name(error)})"
            continue
        newest.extend(lines)
    ordered = sorted(newest)
    found.lines = [(stream, text) for _, stream, text in ordered[-count:]] if count else []
    if not found.lines and found.problem is None:
        found.problem = f"none found in {', '.join(groups)} for this task"
    return found


class OutOfTime(Exception):
    """No time left for another call."""


def _group_lines(
    logs: Any,
    group: str,
    task_id: str,
    *,
    stop_millis: int,
    count: int,
    time_left: Callable[[], float],
    call_seconds: float,
) -> list[tuple[int, str, str]]:
    """The last ``count`` lines of the task in one group: the newest window that has any, and older ones to fill."""
    collected: list[tuple[int, str, str]] = []
    for back, until in WINDOWS:
        window: list[tuple[int, str, str]] = []
        params: dict[str, Any] = {
            "logGroupName": group,
            "startTime": stop_millis - back * 1000,
            "endTime": stop_millis - until * 1000 + (AFTER_STOP_MILLIS if until == 0 else 0),
        }
        for _ in range(MAX_PAGES):
            if time_left() < call_seconds:
                if collected or window:
                    return sorted(window + collected)[-count:]
                raise OutOfTime
            page = logs.filter_log_events(**params)
            for event in page.get("events") or []:
                stream = str(event.get("logStreamName") or "")
                if task_id in stream:
                    window.append((int(event.get("timestamp") or 0), stream, str(event.get("message") or "")))
            token = page.get("nextToken")
            if not token:
                break
            params["nextToken"] = token
        collected = sorted(window + collected)[-count:]
        if len(collected) >= count:
            break
    return collected


def _error_name(error: Exception) -> str:
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code or type(error).__name__)


def message_lines(found: Lines) -> list[str]:
    """The lines as a message shows them: redacted, one line each, cut, within the total."""
    shown: list[str] = []
    total = 0
    for stream, text in reversed(found.lines):  # newest first, so the cut drops the oldest
        container = stream.split("/")[-2] if stream.count("/") >= 2 else stream
        line = " ".join(redact_line(text).split())
        if len(line) > MAX_LINE_CHARACTERS:
            line = line[: MAX_LINE_CHARACTERS - 3] + "..."
        entry = f"[{container}] {line}"
        if total + len(entry) > MAX_TOTAL_CHARACTERS:
            break
        shown.append(entry)
        total += len(entry) + 1
    return list(reversed(shown))
