"""A member account's forwarding alarm, relayed by the function: one readable message to on-call, in moto.

In organisation mode every member Region's failure topic sends to one relay queue, which the function reads
(components/organization.py), so Lambda invokes it with the members' CloudWatch alarm notifications; it logs one
record for each and sends one message to the alarm topic (and the chat topic), kept single by the state table as
the task messages are.

AWS behaviour relied on, by page:
- "Using Lambda with Amazon SQS" (Lambda Developer Guide): the event is {"Records": [{"messageId", "receiptHandle",
  "body", "attributes", "eventSource": "aws:sqs", "eventSourceARN", "awsRegion", ...}]}.
- "Amazon SNS raw message delivery" (SNS Developer Guide): without raw delivery the queue's message body is SNS's
  notification JSON, {"Type": "Notification", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", ...};
  the test of the rehearsal takes the body moto's SNS writes into the queue.
- "Implementing partial batch responses" (Lambda Developer Guide): with ReportBatchItemFailures the function
  returns {"batchItemFailures": [{"itemIdentifier": messageId}]} for the messages to hand over again; the others
  are deleted.
- The alarm notification's JSON (AlarmName, AWSAccountId, NewStateValue, NewStateReason, StateChangeTime, Region
  as a display name, AlarmArn, Trigger.Dimensions as {"name", "value"}): AWS's own sample in aws/aws-lambda-go,
  events/testdata/cloudwatch-alarm-sns-payload-single-metric.json. moto does not send alarm notifications, so the
  tests write them in that shape.
- "Amazon SNS message delivery retries" (SNS Developer Guide) and SQS's at-least-once delivery: a copy must not
  send a second message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
from test_notify import Aws, answered, body_lines, run

from handler import member_failure, notify
from rehearse.mocks import ACCOUNT, REGION
from rehearse.play import emulated_aws

MEMBER = "444455556666"
MEMBER_REGION = "us-east-1"
QUEUE = "ecs-task-events-member-DeadLetters-1A2B3C4D5E6F"
ALARM = "ecs-task-events-member-DeadLettersAlarm-9Z8Y7X6W5V4U"
FAILURE_TOPIC = f"arn:aws:sns:{MEMBER_REGION}:{ACCOUNT}:ecs-task-events-function-b8f6f6f-forwarding"
RELAY_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:ecs-task-events-forwarding-5d1e2f3"


def alarm_notification(state: str = "ALARM", **changes: Any) -> dict[str, Any]:
    """A member's dead-letter alarm notification, as CloudWatch writes it into the SNS message."""
    alarm = {
        "AlarmName": ALARM,
        "AlarmDescription": f"ECS task events of account {MEMBER} in {MEMBER_REGION} could not be forwarded.",
        "AWSAccountId": MEMBER,
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed: 1 out of the last 1 datapoints [3.0 (02/12/26 01:20:00)] was greater "
        "than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",
        "StateChangeTime": "2026-12-02T01:25:12.345+0000",
        "Region": "US East (N. Virginia)",
        "AlarmArn": f"arn:aws:cloudwatch:{MEMBER_REGION}:{MEMBER}:alarm:{ALARM}",
        "OldStateValue": "OK",
        "Trigger": {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Namespace": "AWS/SQS",
            "Statistic": "MAXIMUM",
            "Dimensions": [{"value": QUEUE, "name": "QueueName"}],
            "Period": 300,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0.0,
        },
    }
    return alarm | changes


def relay_event(*messages: Any) -> dict[str, Any]:
    """Lambda handing over the relay queue's messages: one record per alarm notification (a dict is written as
    JSON, as CloudWatch does), each in SNS's notification as the queue holds it."""
    return {
        "Records": [
            {
                "messageId": f"059f36b4-87a3-44ab-83d2-661975830a{index:02d}",
                "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{index:02d}",
                "body": json.dumps(
                    {
                        "Type": "Notification",
                        "MessageId": f"95df01b4-ee98-5cb9-9903-4c221d41eb{index:02d}",
                        "TopicArn": FAILURE_TOPIC,
                        "Subject": f'ALARM: "{ALARM}" in US East (N. Virginia)',
                        "Message": message if isinstance(message, str) else json.dumps(message),
                        "Timestamp": "2026-12-02T01:25:12.400Z",
                    }
                ),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764638712400"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": RELAY_QUEUE,
                "awsRegion": REGION,
            }
            for index, message in enumerate(messages)
        ]
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    with emulated_aws(REGION, ACCOUNT):
        yield Aws(monkeypatch)


def test_a_members_alarm_becomes_one_message_naming_the_account_region_queue_and_what_to_do(aws: Aws) -> None:
    records, raised = run(relay_event(alarm_notification()))
    assert raised is None
    (record,) = records
    assert record["level"] == "ERROR"
    assert record["message"] == f"account {MEMBER} in {MEMBER_REGION} cannot forward ECS events: they wait in {QUEUE}"
    assert (record["account"], record["region"], record["deadLetterQueue"]) == (MEMBER, MEMBER_REGION, QUEUE)
    (message,) = aws.messages()
    assert message["Subject"] == f"ECS events of account {MEMBER} in {MEMBER_REGION} are not reaching the logger"
    lines = body_lines(message)
    assert (lines["Account"], lines["Region"], lines["Dead-letter queue"]) == (MEMBER, MEMBER_REGION, QUEUE)
    assert lines["Since"] == "2026-12-02T01:25:12.345+0000"
    assert lines["Reason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [3.0")
    assert "SCP denies events:PutEvents" in lines["What to do"] and "ForwardRole" in lines["What to do"]
    assert 'docs/organization.md, "When a member cannot forward"' in lines["Replay"]
    assert lines["Console"] == f"the link needs a console sign-in to account {MEMBER}"
    link = urlsplit(lines["The queue in the SQS console"])
    assert (link.netloc, link.path, parse_qs(link.query)) == (
        f"{MEMBER_REGION}.console.aws.amazon.com",
        "/sqs/v3/home",
        {"region": [MEMBER_REGION]},
    )
    assert unquote(link.fragment) == f"/queues/https://sqs.{MEMBER_REGION}.amazonaws.com/{MEMBER}/{QUEUE}"


def test_the_chat_channel_gets_the_alarm_in_the_chat_format(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    chat = aws.sns.create_topic(Name="chat")["TopicArn"]
    sqs = boto3.client("sqs", region_name=REGION)
    inbox = sqs.create_queue(QueueName="chat-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.sns.subscribe(TopicArn=chat, Protocol="sqs", Endpoint=inbox_arn)
    monkeypatch.setenv(notify.CHAT_TOPIC_ENV, chat)
    _, raised = run(relay_event(alarm_notification()))
    assert raised is None
    assert len(aws.messages()) == 1
    (delivered,) = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)["Messages"]
    custom = json.loads(json.loads(delivered["Body"])["Message"])
    assert (custom["version"], custom["source"]) == ("1.0", "custom")
    assert custom["content"]["title"].endswith(f"account {MEMBER} in {MEMBER_REGION} are not reaching the logger")
    assert f"*Dead-letter queue:* {QUEUE}" in custom["content"]["description"]
    assert custom["metadata"]["relatedResources"] == [f"arn:aws:cloudwatch:{MEMBER_REGION}:{MEMBER}:alarm:{ALARM}"]


def test_a_second_delivery_of_the_same_alarm_sends_nothing_more(aws: Aws) -> None:
    """SNS delivers at least once, and Lambda retries: the alarm's state change is one message."""
    for _ in range(2):
        _, raised = run(relay_event(alarm_notification()))
        assert raised is None
    assert len(aws.messages()) == 1


@pytest.mark.parametrize(
    "message",
    [
        "hello",
        "{not json",
        "[]",
        json.dumps({"AlarmName": ALARM}),
        json.dumps({"NewStateValue": "ALARM"}),
        json.dumps(alarm_notification(AlarmArn=None, Trigger="?", AWSAccountId=None)),
        "[" * 100_000,
    ],
    ids=["text", "broken JSON", "a list", "no state", "no name", "odd fields", "deeply nested"],
)
def test_an_alarm_message_of_any_shape_is_logged_and_never_crashes(aws: Aws, message: str) -> None:
    records, raised = run(relay_event(message))
    assert raised is None
    (record,) = records
    messages = aws.messages()
    if record["level"] == "WARNING":
        assert record["message"] == "relay queue message that is not a CloudWatch alarm notification; nothing sent"
        assert record["topicArn"] == FAILURE_TOPIC and messages == []
    else:  # an alarm whose ARN and queue cannot be read still reaches on-call, saying what it can
        assert record["level"] == "ERROR" and len(messages) == 1
        assert body_lines(messages[0])["Region"] == "?"


@pytest.mark.parametrize(
    "event",
    [
        {"Records": [{"eventSource": "aws:sqs"}]},
        {"Records": [{"eventSource": "aws:sqs", "body": 3}]},
        {"Records": [{"eventSource": "aws:sqs", "body": "{not json"}]},
        {"Records": [{"eventSource": "aws:sqs", "body": json.dumps({"Type": "SubscriptionConfirmation"})}]},
        {"Records": [{"eventSource": "aws:sqs", "body": json.dumps({"Type": "Notification", "Message": 3})}]},
        {"Records": [{"eventSource": "aws:sqs", "body": json.dumps(["Notification"])}]},
    ],
    ids=["no body", "a number", "broken JSON", "not a notification", "no message", "a list"],
)
def test_a_queue_record_without_a_notification_is_logged_and_never_crashes(aws: Aws, event: dict[str, Any]) -> None:
    records, raised = run(event)
    assert raised is None
    assert [record["level"] for record in records] == ["WARNING"]
    assert aws.messages() == []


def test_an_alarm_back_to_ok_is_logged_and_sends_nothing(aws: Aws) -> None:
    records, raised = run(relay_event(alarm_notification("OK")))
    assert raised is None
    assert [(r["level"], r["message"]) for r in records] == [
        ("INFO", f"forwarding alarm of account {MEMBER} in {MEMBER_REGION} is OK")
    ]
    assert aws.messages() == []


def test_a_message_that_cannot_be_sent_is_handed_back_alone_after_its_record(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its messageId in batchItemFailures: the queue hands that message over again (after its receive limit, to
    the failed-events queue, which is alarmed), and the alarm sent beside it is not sent twice."""
    sent_topic = aws.sns.create_topic(Name="alerts")["TopicArn"]
    monkeypatch.setenv(notify.TOPIC_ENV, sent_topic)
    other = alarm_notification(AlarmArn=f"arn:aws:cloudwatch:{MEMBER_REGION}:777788889999:alarm:{ALARM}")
    event = relay_event(alarm_notification(), other)
    real_send = notify.send

    def send_fails_for_the_first(notice: notify.Notice, context: Any = None) -> str:
        if MEMBER in notice.subject:
            raise RuntimeError("SNS throttled")
        return real_send(notice, context)

    monkeypatch.setattr(notify, "send", send_fails_for_the_first)
    records, response, raised = answered(event)
    assert raised is None
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert [record["level"] for record in records] == ["ERROR", "ERROR", "WARNING"]
    assert records[2]["messageId"] == event["Records"][0]["messageId"] and records[2]["error"] == "RuntimeError"
    assert [message["Subject"].split()[4] for message in aws.messages()] == ["777788889999"]


def test_a_failure_of_a_record_without_a_message_id_fails_the_whole_batch(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing names it to hand back alone, so the invocation fails and the queue returns the whole batch."""
    monkeypatch.setenv(notify.TOPIC_ENV, f"arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic")
    event = relay_event(alarm_notification())
    del event["Records"][0]["messageId"]
    records, raised = run(event)
    assert raised is not None
    assert [record["level"] for record in records] == ["ERROR"]


def test_several_alarms_in_one_invocation_each_get_their_message(aws: Aws) -> None:
    other = alarm_notification(AlarmArn=f"arn:aws:cloudwatch:{MEMBER_REGION}:777788889999:alarm:{ALARM}")
    records, raised = run(relay_event(alarm_notification(), other))
    assert raised is None and len(records) == 2
    subjects = sorted(message["Subject"] for message in aws.messages())
    assert [subject.split()[4] for subject in subjects] == [MEMBER, "777788889999"]


def test_an_ecs_event_is_not_taken_for_a_relay_one() -> None:
    assert not member_failure.is_relay_event({"source": "aws.ecs", "detail-type": "ECS Task State Change"})
    assert not member_failure.is_relay_event({"Records": []})
    assert not member_failure.is_relay_event({"Records": [{"EventSource": "aws:sns"}]})
    assert member_failure.is_relay_event(relay_event(alarm_notification()))
