"""Which account and region an event came from, written into the record only when it is not the function's own.

A record's bytes are what CloudWatch Logs bills (bench/run.py measures them), and in one account every event
comes from the function's own account and region, which the log group already implies: there the two fields
would be about 50 bytes of every record that say nothing. In organisation mode the member accounts' events
carry them; the central account's own do not, and the saved queries read a missing ``account`` as this one.
"""

from __future__ import annotations

import os

from .parse import Oddities, read_text

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from typing import Any

    # The function's own (account, region); None where unknown: an event's value is then always written.
    Home = tuple[str | None, str | None]


def home_of(context: Any) -> Home:
    """The function's own (account, region): from its invoked ARN (arn:aws:lambda:REGION:ACCOUNT:function:…).

    Lambda passes the ARN on every invocation's context; without one (a local run), the region is AWS_REGION's,
    which Lambda sets, and the account is unknown.
    """
    arn = getattr(context, "invoked_function_arn", None)
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) >= 7 and parts[2] == "lambda":
        return parts[4] or None, parts[3] or None
    return None, os.environ.get("AWS_REGION") or None


def origin_fields(event: dict[str, Any], home: Home, odd: Oddities) -> dict[str, str | None]:
    """``account`` and ``region`` of the envelope, each only where it differs from ``home`` (or home is unknown)."""
    account = read_text(event, "account", odd, where="event")
    region = read_text(event, "region", odd, where="event")
    return {
        "account": account if account != home[0] else None,
        "region": region if region != home[1] else None,
    }
