"""Preview the log records for sample events before deploying.

    python -m handler tests/events/task_stopped_oom.json
    cat event.json | python -m handler -
    python -m handler --level DEBUG event.json   # also the redacted event

Each file holds one event (a JSON object) or several (a JSON array). The
records print one per line, as Lambda's JSON log format writes them. A file
that cannot be read, is empty or is not JSON stops the run with one line on
standard error and exit status 2; an empty array is said so and skipped.
``--level`` takes the names the stack's ``logLevel`` config takes (TRACE, DEBUG,
INFO, WARN, ERROR, FATAL) and Python's (WARNING, CRITICAL), in any case.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from .app import LOGGER_NAME, handler
from .log_format import LambdaJsonFormatter

# Lambda's application log levels (the stack's logLevel config) and Python's, to the logging module's names.
# Lambda's TRACE lets everything through, as DEBUG does here; FATAL is Python's CRITICAL.
LEVELS = {
    "TRACE": "DEBUG",
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARN": "WARNING",
    "WARNING": "WARNING",
    "ERROR": "ERROR",
    "FATAL": "CRITICAL",
    "CRITICAL": "CRITICAL",
}


def level_name(value: str) -> str:
    """The logging module's name for a level name Lambda or Python knows, in any case."""
    level = LEVELS.get(value.strip().upper())
    if level is None:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a log level; use TRACE, DEBUG, INFO, WARN, ERROR or FATAL (or WARNING, CRITICAL)"
        )
    return level


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handler", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", metavar="FILE", help="event file, or - for standard input")
    parser.add_argument(
        "--level",
        default="INFO",
        type=level_name,
        help="lowest level shown: TRACE, DEBUG, INFO, WARN, ERROR or FATAL, as logLevel takes them, "
        "or WARNING, CRITICAL; any case (default INFO)",
    )
    options = parser.parse_args(argv)

    output = stdout or sys.stdout
    stream = logging.StreamHandler(output)
    stream.setFormatter(LambdaJsonFormatter(request_id="local"))
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(stream)
    logger.setLevel(options.level)
    logger.propagate = False
    try:
        for name in options.files:
            shown = "standard input" if name == "-" else name
            try:
                events = _events(name, stdin or sys.stdin)
            except (OSError, ValueError) as error:
                print(f"python -m handler: {shown}: {error}", file=sys.stderr)
                return 2
            if not events:
                print(
                    f"python -m handler: {shown}: an empty JSON array: no events, nothing to summarise", file=sys.stderr
                )
            for event in events:
                handler(event, None)
    finally:
        logger.removeHandler(stream)
    return 0


def _events(name: str, stdin: TextIO) -> list[Any]:
    """The events in a file (or standard input, for ``-``); ValueError, in one line, if it holds none."""
    if name == "-":
        text = stdin.read()
    else:
        with open(name, encoding="utf-8") as file:
            text = file.read()
    if not text.strip():
        empty = "nothing was given" if name == "-" else "the file is empty"
        raise ValueError(f"{empty}; it should hold an event (a JSON object) or a JSON array of events")
    try:
        document = json.loads(text)
    except RecursionError:
        raise ValueError(
            f"nested too deeply for Python's json parser, which stops near {sys.getrecursionlimit()} levels "
            "(an ECS event is a few levels deep)"
        ) from None
    return document if isinstance(document, list) else [document]


if __name__ == "__main__":
    sys.exit(main())
