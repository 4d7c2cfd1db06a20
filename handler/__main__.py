"""Preview the log records for sample events before deploying.

    python -m handler tests/events/task_stopped_oom.json
    cat event.json | python -m handler -
    python -m handler --level DEBUG event.json   # also the redacted event

Each file holds one event (a JSON object) or several (a JSON array). The
records print one per line, as Lambda's JSON log format writes them.
``--level`` takes the names the stack's ``logLevel`` config takes (TRACE, DEBUG,
INFO, WARN, ERROR, FATAL) and Python's (WARNING, CRITICAL), in any case.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
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
            try:
                events = list(_events(name, stdin or sys.stdin))
            except (OSError, ValueError) as error:
                print(f"python -m handler: {name}: {error}", file=sys.stderr)
                return 2
            for event in events:
                handler(event, None)
    finally:
        logger.removeHandler(stream)
    return 0


def _events(name: str, stdin: TextIO) -> Iterator[Any]:
    if name == "-":
        document = json.load(stdin)
    else:
        with open(name, encoding="utf-8") as file:
            document = json.load(file)
    yield from document if isinstance(document, list) else [document]


if __name__ == "__main__":
    sys.exit(main())
