"""Run the Lambda handler and capture its records as Lambda's JSON log format would write them."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handler.app import LOGGER_NAME, handler
from handler.log_format import LambdaJsonFormatter

EVENTS_DIR = Path(__file__).resolve().parent / "events"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


def sample_names() -> list[str]:
    return sorted(path.stem for path in EVENTS_DIR.glob("*.json"))


@dataclass
class Invocation:
    returned: dict[str, Any]
    lines: list[str]  # rendered JSON lines, as CloudWatch would store them

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    @property
    def record(self) -> dict[str, Any]:
        """The one record at INFO or above."""
        loud = [r for r in self.records if r["level"] != "DEBUG"]
        assert len(loud) == 1, f"expected exactly one record at INFO or above, got {loud}"
        return loud[0]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class FakeContext:
    """Lambda's context as the handler reads it; the function lives where the sample events come from."""

    aws_request_id = "8f5f1d2e-0c3b-4a5d-9e6f-7a8b9c0d1e2f"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:111122223333:function:ecs-task-events"


class CentralContext(FakeContext):
    """A logger in organisation mode: the function in another account and region than the sample events'."""

    invoked_function_arn = "arn:aws:lambda:us-east-1:999988887777:function:ecs-task-events"


def invoke(event: Any, level: int = logging.INFO, context: Any = None) -> Invocation:
    """Call the handler with the logger at ``level``; collect every rendered line."""
    stream = io.StringIO()
    output = logging.StreamHandler(stream)
    output.setFormatter(LambdaJsonFormatter(request_id=FakeContext.aws_request_id))
    logger = logging.getLogger(LOGGER_NAME)
    previous = (logger.level, logger.propagate)
    logger.addHandler(output)
    logger.setLevel(level)
    logger.propagate = False
    try:
        returned = handler(event, context or FakeContext())
    finally:
        logger.removeHandler(output)
        logger.setLevel(previous[0])
        logger.propagate = previous[1]
    return Invocation(returned, [line for line in stream.getvalue().split("\n") if line])
