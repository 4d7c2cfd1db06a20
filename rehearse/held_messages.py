"""Which messages to on-call the function held back, and what they would have said.

The function sends at most one message per service and kind (task, deployment, service action) within its window,
and holds the rest back, counting them for the next message (handler/notify.py). A held message leaves no
record of its own, so a rehearsal that printed only what reached the topic would suggest that such a failure
pages nobody. This reads the function's message table in moto after each invocation and, for a message held
back, renders it with the archive's own code, says why it was held and what the next message will say.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import clients


@dataclass
class HeldMessage:
    """A message to on-call that the service's window held back: what it would have said, and why."""

    subject: str
    message: str
    why: str


class OnCallMessages:
    """The function's message table, watched across the invocations of one rehearsal."""

    def __init__(self, function: Any, environment: Mapping[str, str], region: str) -> None:
        self.notify = function.module("notify")
        self.table = environment.get(self.notify.TABLE_ENV)
        self.log_group = environment.get(self.notify.LOG_GROUP_ENV)
        self.window = int(environment.get(self.notify.WINDOW_ENV) or self.notify.DEFAULT_WINDOW_SECONDS)
        self.region = region
        self.sent: dict[str, tuple[str, str]] = {}  # message key -> (label of the event, subject)

    def _statuses(self) -> dict[str, str]:
        """Every message claim in the table and its status ('sent', 'held', ...)."""
        if not self.table:
            return {}
        items = clients.client("dynamodb", self.region).scan(TableName=self.table)["Items"]
        return {
            item["pk"]["S"]: item.get("st", {}).get("S", "") for item in items if item["pk"]["S"].startswith("msg#")
        }

    def _window(self, key: str) -> dict[str, Any]:
        dynamodb = clients.client("dynamodb", self.region)
        item: dict[str, Any] = dynamodb.get_item(TableName=self.table, Key={"pk": {"S": key}}).get("Item") or {}
        return item

    def status_before(self, event: Any) -> dict[str, str]:
        """The table's claims before ``event`` is delivered."""
        return self._statuses()

    def held_back(self, label: str, event: Any, returned: Any, before: Mapping[str, str]) -> HeldMessage | None:
        """The message this invocation held back, if it held one; remembers the one it sent, if it sent one."""
        if not self.table or not isinstance(returned, dict) or not isinstance(event, dict):
            return None
        fields = {key: value for key, value in returned.items() if key not in ("level", "message")}
        notice = self.notify.build_notice(fields, event, self.log_group)
        if notice is None:
            return None
        key = f"msg#{notice.message_key}"
        status = self._statuses().get(key)
        if status == before.get(key):
            return None
        if status == "sent":
            self.sent[notice.message_key] = (label, self.notify.subject_line(notice, 0))
            return None
        if status != "held":
            return None
        window = self._window(notice.window_key)
        opened = int(window.get("windowStart", {}).get("N", "0"))
        held = int(window.get("held", {}).get("N", "0"))
        by_label, by_subject = self.sent.get(window.get("openedBy", {}).get("S", ""), ("an earlier event", "?"))
        minutes = f"{self.window / 60:g}"
        service = notice.subject.split(":", 1)[0]
        why = (
            f"held back: {service} already had a {notice.kind} message within {minutes} minutes, "
            f"'{by_subject}' ({by_label}, sent at {_clock(opened)}); a service gets at most one {notice.kind} message "
            f"per window. The next {notice.kind} message of {service}, after {_clock(opened + self.window)}, counts "
            f"it: its subject ends '(+{held} held back)'. The record is in the log group either way."
        )
        return HeldMessage(
            subject=self.notify.subject_line(notice, 0),
            message=self.notify.email_text(notice, 0, None, self.window),
            why=why,
        )


def _clock(epoch: int) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(epoch))
