"""A member account that cannot forward its ECS events: the CloudWatch alarm on its dead-letter queue, made one
readable message to on-call.

In organisation mode each member's alarm notifies the central account's failure topic of its Region, and every
failure topic sends to one queue of the central account (an SNS topic cannot subscribe to another topic), which
the function reads: Lambda's event source mapping invokes it with an event of ``Records``, each ``body`` SNS's
notification, whose ``Message`` is the alarm's JSON (AlarmName, AWSAccountId, NewStateValue, NewStateReason,
StateChangeTime, AlarmArn, Trigger.Dimensions). What is read here never raises on the shape: a record that is not
an alarm notification is logged as such and sends nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from .notify import Notice, console_host
from .parse import clip

# Lambda reads a queue with {"Records": [{"messageId": ..., "eventSource": "aws:sqs", "body": ...}]} ("Using
# Lambda with Amazon SQS", Lambda Developer Guide). A subscription without raw message delivery puts SNS's
# notification in the body: {"Type": "Notification", "TopicArn": ..., "Message": ...} (SNS Developer Guide,
# "Amazon SNS raw message delivery").
SQS_EVENT_SOURCE = "aws:sqs"
NOTIFICATION_TYPE = "Notification"
KIND = "forwarding"
# The alarm's reason is CloudWatch's sentence ("Threshold Crossed: 1 datapoint [3.0 ...]"): a line, not a page.
REASON_LIMIT = 300
WHAT_TO_DO = (
    "Read one message of the queue: EventBridge adds why delivery failed (ERROR_CODE, ERROR_MESSAGE attributes). "
    "Then, in that account and region, check that the member stack of the StackSet is there and its ForwardRole "
    "exists, that no SCP denies events:PutEvents on the central bus, and that the account is still in the "
    "organisation (the central bus admits it alone)."
)
REPLAY = (
    "The events wait 14 days in the queue. Once fixed, replay them into the logger: "
    'docs/organization.md, "When a member cannot forward".'
)


def is_relay_event(event: Any) -> bool:
    """Whether ``event`` is Lambda handing over the relay queue's messages (every record from SQS), not an ECS
    event."""
    records = event.get("Records") if isinstance(event, dict) else None
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(record, dict) and record.get("eventSource") == SQS_EVENT_SOURCE for record in records)
    )


def _json_object(text: Any) -> dict[str, Any] | None:
    """``text`` read as a JSON object, or None if it is no such thing (not text, not JSON, nested too deep)."""
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def notification_of(record: dict[str, Any]) -> dict[str, Any] | None:
    """The SNS notification a queue record carries, or None if it carries none."""
    notification = _json_object(record.get("body"))
    return notification if notification is not None and notification.get("Type") == NOTIFICATION_TYPE else None


def alarm_of(notification: dict[str, Any] | None) -> dict[str, Any] | None:
    """The alarm an SNS notification carries, or None if it carries none."""
    alarm = _json_object(notification.get("Message")) if notification is not None else None
    if alarm is None or not isinstance(alarm.get("AlarmName"), str) or not isinstance(alarm.get("NewStateValue"), str):
        return None
    return alarm


def _text(alarm: dict[str, Any], key: str) -> str | None:
    value = alarm.get(key)
    return clip(value) if isinstance(value, str) and value else None


def where_from(alarm: dict[str, Any]) -> tuple[str, str, str]:
    """(partition, account, region) of the alarm: its ARN (arn:PARTITION:cloudwatch:REGION:ACCOUNT:alarm:NAME), else
    AWSAccountId and '?' (the notification's Region is a display name such as "EU (Ireland)")."""
    arn = alarm.get("AlarmArn")
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) >= 7 and parts[0] == "arn" and parts[2] == "cloudwatch" and parts[3] and parts[4]:
        return parts[1], parts[4], parts[3]
    return "aws", _text(alarm, "AWSAccountId") or "?", "?"


def queue_of(alarm: dict[str, Any]) -> str | None:
    """The dead-letter queue's name: the alarm's QueueName dimension."""
    trigger = alarm.get("Trigger")
    dimensions = trigger.get("Dimensions") if isinstance(trigger, dict) else None
    for dimension in dimensions if isinstance(dimensions, list) else []:
        value = dimension.get("value") if isinstance(dimension, dict) else None
        if isinstance(dimension, dict) and dimension.get("name") == "QueueName" and isinstance(value, str):
            return clip(value)
    return None


def record_of(alarm: dict[str, Any] | None, topic_arn: Any) -> tuple[int, str, dict[str, Any]]:
    """(level, message, fields) of the log record for one queue record."""
    if alarm is None:
        topic = topic_arn if isinstance(topic_arn, str) else None
        return (
            logging.WARNING,
            "relay queue message that is not a CloudWatch alarm notification; nothing sent",
            {"topicArn": topic},
        )
    _, account, region = where_from(alarm)
    state = _text(alarm, "NewStateValue")
    queue = queue_of(alarm)
    fields = {
        "account": account,
        "region": region,
        "alarmName": _text(alarm, "AlarmName"),
        "alarmState": state,
        "deadLetterQueue": queue,
        "reason": _text(alarm, "NewStateReason"),
    }
    if state == "ALARM":
        message = f"account {account} in {region} cannot forward ECS events: they wait in {queue or 'its queue'}"
        return logging.ERROR, message, fields
    return logging.INFO, f"forwarding alarm of account {account} in {region} is {state}", fields


def failure_notice(alarm: dict[str, Any]) -> Notice | None:
    """The message to on-call for an alarm that went to ALARM; None for any other state."""
    if alarm.get("NewStateValue") != "ALARM":
        return None
    partition, account, region = where_from(alarm)
    alarm_arn = _text(alarm, "AlarmArn") or f"{account}:{region}:{_text(alarm, 'AlarmName')}"
    since = _text(alarm, "StateChangeTime")
    queue = queue_of(alarm)
    notice = Notice(
        KIND,
        f"{KIND}#{alarm_arn}#{since}",
        f"window#{KIND}#{alarm_arn}",
        f"ECS events of account {account} in {region} are not reaching the logger",
    )
    notice.add("Account", account)
    notice.add("Region", region)
    notice.add("Dead-letter queue", queue)
    notice.add("Alarm", _text(alarm, "AlarmName"))
    notice.add("Since", since)
    reason = _text(alarm, "NewStateReason")
    notice.add("Reason", clip(reason, REASON_LIMIT) if reason else None)
    notice.add("What to do", WHAT_TO_DO)
    notice.add("Replay", REPLAY)
    if queue and region != "?" and account != "?":
        notice.add("Console", f"the link needs a console sign-in to account {account}")
        notice.links.append(("The queue in the SQS console", queue_url(partition, account, region, queue)))
    notice.related = [alarm_arn]
    return notice


def queue_url(partition: str, account: str, region: str, queue: str) -> str:
    """The queue's page in the SQS console of its own region (the console addresses a queue by its URL)."""
    host, _ = console_host(f"arn:{partition}:sqs:{region}:{account}")
    domain = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    url = f"https://sqs.{region}.{domain}/{account}/{queue}"
    escaped = "".join(char if char.isalnum() or char in "-_." else f"%{ord(char):02X}" for char in url)
    return f"https://{host}/sqs/v3/home?region={region}#/queues/{escaped}"
