"""A member account's forwarding alarm, relayed by the function: one readable message to on-call, in moto.

In organisation mode the function subscribes to each member Region's failure topic (components/organization.py),
so SNS invokes it with the members' CloudWatch alarm notifications; it logs one record for each and sends one
message to the alarm topic (and the chat topic), kept single by the state table as the task messages are.

AWS behaviour relied on, by page:
- "Invoking Lambda functions with Amazon SNS notifications" (Lambda Developer Guide): the event is {"Records":
  [{"EventSource": "aws:sns", "Sns": {"TopicArn", "Subject", "Message", ...}}]}, and SNS invokes asynchronously
  (so a raise is retried by Lambda and in the end parked in the failed-events queue).
- The alarm notification's JSON (AlarmName, AWSAccountId, NewStateValue, NewStateReason, StateChangeTime, Region
  as a display name, AlarmArn, Trigger.Dimensions as {"name", "value"}): AWS's own sample in aws/aws-lambda-go,
  events/testdata/cloudwatch-alarm-sns-payload-single-metric.json. moto does not send alarm notifications, so the
  tests write them in that shape.
- "Amazon SNS message delivery retries" (SNS Developer Guide): delivery is at least once, so a copy must not send
  a second message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
from test_notify import Aws, body_lines, run

from handler import member_failure, notify
from rehearse.mocks import ACCOUNT, REGION
from rehearse.play import emulated_aws

MEMBER = "444455556666"
MEMBER_REGION = "us-east-1"
QUEUE = "ecs-task-events-member-DeadLetters-1A2B3C4D5E6F"
ALARM = "ecs-task-events-member-DeadLettersAlarm-9Z8Y7X6W5V4U"
FAILURE_TOPIC = f"arn:aws:sns:{MEMBER_REGION}:{ACCOUNT}:ecs-task-events-function-b8f6f6f-forwarding"


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


def sns_event(*messages: Any) -> dict[str, Any]:
    """SNS invoking the function: one record per message (a dict is written as JSON, as CloudWatch does)."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{FAILURE_TOPIC}:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": f"95df01b4-ee98-5cb9-9903-4c221d41eb{index:02d}",
                    "TopicArn": FAILURE_TOPIC,
                    "Subject": f'ALARM: "{ALARM}" in US East (N. Virginia)',
                    "Message": message if isinstance(message, str) else json.dumps(message),
                    "Timestamp": "2026-12-02T01:25:12.400Z",
                },
            }
            for index, message in enumerate(messages)
        ]
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    with emulated_aws(REGION, ACCOUNT):
        yield Aws(monkeypatch)


def test_a_members_alarm_becomes_one_message_naming_the_account_region_queue_and_what_to_do(aws: Aws) -> None:
    records, raised = run(sns_event(alarm_notification()))
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
    _, raised = run(sns_event(alarm_notification()))
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
        _, raised = run(sns_event(alarm_notification()))
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
def test_an_sns_message_of_any_shape_is_logged_and_never_crashes(aws: Aws, message: str) -> None:
    records, raised = run(sns_event(message))
    assert raised is None
    (record,) = records
    messages = aws.messages()
    if record["level"] == "WARNING":
        assert record["message"] == "SNS message that is not a CloudWatch alarm notification; nothing sent"
        assert record["topicArn"] == FAILURE_TOPIC and messages == []
    else:  # an alarm whose ARN and queue cannot be read still reaches on-call, saying what it can
        assert record["level"] == "ERROR" and len(messages) == 1
        assert body_lines(messages[0])["Region"] == "?"


@pytest.mark.parametrize(
    "event",
    [
        {"Records": [{"EventSource": "aws:sns"}]},
        {"Records": [{"EventSource": "aws:sns", "Sns": "?"}]},
        {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": 3}}]},
    ],
)
def test_an_sns_record_without_a_message_is_logged_and_never_crashes(aws: Aws, event: dict[str, Any]) -> None:
    records, raised = run(event)
    assert raised is None
    assert [record["level"] for record in records] == ["WARNING"]
    assert aws.messages() == []


def test_an_alarm_back_to_ok_is_logged_and_sends_nothing(aws: Aws) -> None:
    records, raised = run(sns_event(alarm_notification("OK")))
    assert raised is None
    assert [(r["level"], r["message"]) for r in records] == [
        ("INFO", f"forwarding alarm of account {MEMBER} in {MEMBER_REGION} is OK")
    ]
    assert aws.messages() == []


def test_a_message_that_cannot_be_sent_fails_the_invocation_after_the_record(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A raise makes Lambda retry the SNS invocation, then park it in the failed-events queue (alarmed)."""
    monkeypatch.setenv(notify.TOPIC_ENV, f"arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic")
    records, raised = run(sns_event(alarm_notification()))
    assert raised is not None
    assert [record["level"] for record in records] == ["ERROR"]


def test_several_alarms_in_one_invocation_each_get_their_message(aws: Aws) -> None:
    other = alarm_notification(AlarmArn=f"arn:aws:cloudwatch:{MEMBER_REGION}:777788889999:alarm:{ALARM}")
    records, raised = run(sns_event(alarm_notification(), other))
    assert raised is None and len(records) == 2
    subjects = sorted(message["Subject"] for message in aws.messages())
    assert [subject.split()[4] for subject in subjects] == [MEMBER, "777788889999"]


def test_an_ecs_event_is_not_taken_for_an_sns_one() -> None:
    assert not member_failure.is_sns_event({"source": "aws.ecs", "detail-type": "ECS Task State Change"})
    assert not member_failure.is_sns_event({"Records": []})
    assert not member_failure.is_sns_event({"Records": [{"EventSource": "aws:sqs"}]})
    assert member_failure.is_sns_event(sns_event(alarm_notification()))
