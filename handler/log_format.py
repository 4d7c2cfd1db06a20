"""Render records the way Lambda's JSON log format does, for local runs and benchmarks.

In Lambda the runtime installs its own formatter; this one reproduces its
shape (timestamp, level, message, logger, requestId, then each ``extra``
field as a top-level key, null fields dropped) so that ``python -m handler``
shows what CloudWatch will hold and the benchmark measures the real bytes.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else on a record came from ``extra``.
STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class LambdaJsonFormatter(logging.Formatter):
    def __init__(self, request_id: str | None = None) -> None:
        super().__init__()
        self.request_id = request_id

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.fromtimestamp(record.created, tz=UTC)
        document = {
            "timestamp": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", None) or self.request_id,
        }
        for key, value in vars(record).items():
            if key not in STANDARD_ATTRIBUTES and key not in document:
                document[key] = value
        return json.dumps({key: value for key, value in document.items() if value is not None}, ensure_ascii=False)
