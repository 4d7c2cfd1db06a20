"""scripts/replay_dead_letters.py against moto's SQS, with the Lambda invoke stubbed."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from handler_capture import load_event
from moto import mock_aws

from scripts.replay_dead_letters import event_of, main, replay

REGION = "eu-west-1"
AWS_ENVIRONMENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


class StubLambda:
    """Records invocations; fails the events whose id is in ``failing``, raises for ``broken``."""

    def __init__(self, failing: set[str] = frozenset(), broken: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.failing, self.broken = failing, broken
        self.invoked: list[dict[str, Any]] = []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        event = json.loads(Payload)
        self.invoked.append({"function": FunctionName, "type": InvocationType, "event": event})
        if event.get("id") in self.broken:
            raise ConnectionError("network down")
        if event.get("id") in self.failing:
            return {"StatusCode": 200, "FunctionError": "Unhandled"}
        return {"StatusCode": 200}


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def queue_with(sqs: Any, *bodies: str) -> str:
    url = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    return url


def visible_and_in_flight(sqs: Any, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def messages_left(sqs: Any, url: str) -> int:
    return sum(visible_and_in_flight(sqs, url))


@pytest.fixture
def stub(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> StubLambda:
    """The Lambda that main() talks to; main's SQS client is moto's."""
    stub = StubLambda()
    monkeypatch.setattr(boto3, "client", lambda service, region_name=None: sqs if service == "sqs" else stub)
    return stub


def hold(sqs: Any, url: str, seconds: int = 300) -> None:
    """Receive one message and keep it, as another reader (or an interrupted run) would."""
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=seconds)["Messages"]


def failure_record(event: dict[str, Any]) -> str:
    """What Lambda sends to an on-failure destination."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2024-05-14T11:31:00.000Z",
            "requestContext": {"requestId": "r-1", "condition": "RetriesExhausted", "approximateInvokeCount": 3},
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "boom"},
        }
    )


def test_replays_both_kinds_of_dead_letter_and_deletes_them(sqs: Any) -> None:
    undelivered, failed = load_event("task_stopped_oom"), load_event("task_running")
    url = queue_with(sqs, json.dumps(undelivered), failure_record(failed))
    stub = StubLambda()
    report = replay(sqs, stub, url, "logger-fn")
    assert len(report.replayed) == 2 and not report.failed and not report.unreadable
    assert sorted(call["event"]["id"] for call in stub.invoked) == sorted([undelivered["id"], failed["id"]])
    assert {call["type"] for call in stub.invoked} == {"RequestResponse"}
    assert {call["function"] for call in stub.invoked} == {"logger-fn"}
    assert messages_left(sqs, url) == 0


def test_failed_replay_leaves_the_message_in_the_queue(sqs: Any) -> None:
    good, bad, unreachable = load_event("task_running"), load_event("task_stopped_oom"), load_event("task_pending")
    url = queue_with(sqs, json.dumps(good), json.dumps(bad), json.dumps(unreachable))
    stub = StubLambda(failing={bad["id"]}, broken={unreachable["id"]})
    report = replay(sqs, stub, url, "logger-fn")
    assert len(report.replayed) == 1
    assert len(report.failed) == 2
    assert any("Unhandled" in line for line in report.failed)
    assert any("ConnectionError" in line for line in report.failed)
    assert messages_left(sqs, url) == 2


def test_unreadable_messages_are_reported_and_kept(sqs: Any) -> None:
    url = queue_with(sqs, "not json", json.dumps({"hello": "world"}))
    stub = StubLambda()
    report = replay(sqs, stub, url, "logger-fn")
    assert len(report.unreadable) == 2 and stub.invoked == []
    assert messages_left(sqs, url) == 2


def test_dry_run_invokes_and_deletes_nothing(sqs: Any) -> None:
    url = queue_with(sqs, json.dumps(load_event("task_running")))
    stub = StubLambda()
    report = replay(sqs, stub, url, "logger-fn", dry_run=True)
    assert len(report.replayed) == 1 and stub.invoked == []
    assert messages_left(sqs, url) == 1


def test_limit_stops_early(sqs: Any) -> None:
    events = [dict(load_event("task_running"), id=f"event-{index}") for index in range(15)]
    url = queue_with(sqs, *(json.dumps(event) for event in events))
    report = replay(sqs, StubLambda(), url, "logger-fn", limit=12)
    assert len(report.replayed) == 12
    assert messages_left(sqs, url) == 3


def test_event_of_reads_both_formats() -> None:
    event = load_event("task_running")
    assert event_of(json.dumps(event)) == event
    assert event_of(failure_record(event)) == event
    with pytest.raises(ValueError, match="neither"):
        event_of("[1, 2]")


def test_command_line_exit_code_says_whether_everything_was_replayed(
    sqs: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = queue_with(sqs, "not json")
    monkeypatch.setattr(boto3, "client", lambda service, region_name=None: sqs if service == "sqs" else StubLambda())
    assert main(["--queue-url", url, "--function-name", "fn"]) == 1
    captured = capsys.readouterr()
    assert "unreadable 1" in captured.out and "not replayed" in captured.err
    sqs.purge_queue(QueueUrl=url)
    assert main(["--queue-url", url, "--function-name", "fn"]) == 0


def test_dry_run_then_real_run_replays_everything(
    sqs: Any, stub: StubLambda, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's order: a dry run, then the real run straight after, which must find every message.

    The dry run makes what it read visible again with ChangeMessageVisibility(VisibilityTimeout=0). AWS's API
    reference, "ChangeMessageVisibility - Amazon Simple Queue Service"
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html),
    gives 0 seconds as the minimum and says the new timeout counts from the time of the call: at 0 the message
    is receivable again at once.
    """
    events = [dict(load_event("task_running"), id=f"event-{index}") for index in range(12)]
    url = queue_with(sqs, *(json.dumps(event) for event in events))
    assert main(["--dry-run", "--queue-url", url, "--function-name", "fn"]) == 0
    assert "dry run: would have replayed 12" in capsys.readouterr().out
    assert stub.invoked == []
    assert visible_and_in_flight(sqs, url) == (12, 0)

    assert main(["--queue-url", url, "--function-name", "fn"]) == 0
    assert "replayed 12, failed 0" in capsys.readouterr().out
    assert sorted(call["event"]["id"] for call in stub.invoked) == sorted(event["id"] for event in events)
    assert messages_left(sqs, url) == 0


def test_failed_replays_are_visible_again_for_the_next_run(sqs: Any) -> None:
    event = load_event("task_stopped_oom")
    url = queue_with(sqs, json.dumps(event), "not json")
    report = replay(sqs, StubLambda(failing={event["id"]}), url, "logger-fn")
    assert len(report.failed) == 1 and len(report.unreadable) == 1
    assert visible_and_in_flight(sqs, url) == (2, 0)
    assert len(replay(sqs, StubLambda(), url, "logger-fn").replayed) == 1  # the cause fixed: no wait for a timeout


def test_a_run_that_leaves_messages_in_flight_says_so_and_exits_1(
    sqs: Any, stub: StubLambda, capsys: pytest.CaptureFixture[str]
) -> None:
    url = queue_with(sqs, json.dumps(load_event("task_running")), json.dumps(load_event("task_pending")))
    hold(sqs, url)
    assert main(["--queue-url", url, "--function-name", "fn"]) == 1
    captured = capsys.readouterr()
    assert "replayed 1, failed 0" in captured.out
    assert "1 message(s) are still in the queue (0 visible, 1 in flight" in captured.err
    assert "1 message(s) are in flight" in captured.err


def test_a_dry_run_warns_of_messages_in_flight_that_a_real_run_would_miss(
    sqs: Any, stub: StubLambda, capsys: pytest.CaptureFixture[str]
) -> None:
    url = queue_with(sqs, json.dumps(load_event("task_running")), json.dumps(load_event("task_pending")))
    hold(sqs, url)
    assert main(["--dry-run", "--queue-url", url, "--function-name", "fn"]) == 1
    assert "1 message(s) are in flight" in capsys.readouterr().err
    assert visible_and_in_flight(sqs, url) == (1, 1)  # the dry run's own message is visible again


def test_a_run_stopped_by_the_limit_says_what_is_left(
    sqs: Any, stub: StubLambda, capsys: pytest.CaptureFixture[str]
) -> None:
    events = [dict(load_event("task_running"), id=f"event-{index}") for index in range(5)]
    url = queue_with(sqs, *(json.dumps(event) for event in events))
    assert main(["--dry-run", "--limit", "3", "--queue-url", url, "--function-name", "fn"]) == 1
    assert "more than --limit 3" in capsys.readouterr().err
    assert main(["--limit", "3", "--queue-url", url, "--function-name", "fn"]) == 1
    captured = capsys.readouterr()
    assert "replayed 3" in captured.out
    assert "2 message(s) are still in the queue (2 visible, 0 in flight" in captured.err
    assert "run again" in captured.err
    assert main(["--queue-url", url, "--function-name", "fn"]) == 0
    assert messages_left(sqs, url) == 0


def test_a_body_nested_too_deep_for_the_parser_is_unreadable_not_a_crash(sqs: Any) -> None:
    url = queue_with(sqs, "[" * 100_000 + "]" * 100_000)
    report = replay(sqs, StubLambda(), url, "logger-fn")
    assert len(report.unreadable) == 1 and "RecursionError" in report.unreadable[0]


def bare_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS credentials, profile or region anywhere botocore looks, and no instance metadata to ask."""
    for key in AWS_ENVIRONMENT:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("BOTO_CONFIG", str(tmp_path / "no-boto-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    assert captured.err.startswith("replay_dead_letters.py: ")
    return captured.err


QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/111122223333/ecs-task-events-failed"


@pytest.mark.parametrize(
    "queue_url",
    [
        "ecs-task-events-failed",
        "arn:aws:sqs:eu-west-1:111122223333:ecs-task-events-failed",
        "https://sqs.eu-west-1.amazonaws.com/ecs-task-events-failed",
        "http://sqs.eu-west-1.amazonaws.com/111122223333/ecs-task-events-failed",
        QUEUE_URL + "/",
    ],
)
def test_a_malformed_queue_url_is_one_line_naming_the_right_shape(
    queue_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: pytest.fail("no AWS call for a malformed URL"))
    assert main(["--queue-url", queue_url, "--function-name", "fn"]) == 2
    error = one_line_error(capsys)
    assert "is not a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)" in error
    assert "pulumi stack output failedEventsQueueUrl" in error


def test_an_empty_queue_url_says_where_it_comes_from(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `"$(pulumi stack output failedEventsQueueUrl)"` gives with no stack selected, or the queues off."""
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: pytest.fail("no AWS call for an empty URL"))
    assert main(["--queue-url", "", "--function-name", "fn"]) == 2
    error = one_line_error(capsys)
    assert "--queue-url is empty" in error and "pulumi stack select" in error


def test_a_region_other_than_the_queues_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: pytest.fail("no AWS call for the wrong region"))
    assert main(["--queue-url", QUEUE_URL, "--function-name", "fn", "--region", "us-east-1"]) == 2
    assert "'us-east-1' is not the region of the queue in --queue-url ('eu-west-1')" in one_line_error(capsys)


def test_no_credentials_is_one_line_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """botocore raises NoCredentialsError before sending anything, so this needs no network."""
    bare_machine(monkeypatch, tmp_path)
    assert main(["--queue-url", QUEUE_URL, "--function-name", "fn"]) == 2
    error = one_line_error(capsys)
    assert "no AWS credentials found" in error and "aws configure" in error


def test_a_missing_profile_is_one_line_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare_machine(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    assert main(["--queue-url", QUEUE_URL, "--function-name", "fn"]) == 2
    error = one_line_error(capsys)
    assert "no-such-profile" in error and "aws configure list-profiles" in error


@pytest.mark.parametrize("configured_region", [None, "us-east-1"])
def test_the_region_is_the_queues_whatever_is_configured(
    configured_region: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No region configured (botocore would raise NoRegionError), or another one: the URL's region is used."""
    bare_machine(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    if configured_region:
        monkeypatch.setenv("AWS_DEFAULT_REGION", configured_region)
    real_client, stub, regions = boto3.client, StubLambda(), []

    def client(service: str, region_name: str | None = None) -> Any:
        regions.append(region_name)
        return real_client(service, region_name=region_name) if service == "sqs" else stub

    monkeypatch.setattr(boto3, "client", client)
    with mock_aws():
        url = queue_with(real_client("sqs", region_name=REGION), json.dumps(load_event("task_running")))
        assert main(["--queue-url", url, "--function-name", "fn"]) == 0
    assert regions == [REGION, REGION]
    assert len(stub.invoked) == 1


def test_a_queue_that_does_not_exist_is_one_line(
    sqs: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = queue_with(sqs)
    sqs.delete_queue(QueueUrl=url)
    monkeypatch.setattr(boto3, "client", lambda service, region_name=None: sqs if service == "sqs" else StubLambda())
    assert main(["--queue-url", url, "--function-name", "fn"]) == 2
    assert f"there is no queue {url} in {REGION}" in one_line_error(capsys)


class RelayingLambda(StubLambda):
    """Answers as the function does for the relay queue's event: the failures it could not send."""

    def __init__(self, unsent: bool) -> None:
        super().__init__()
        self.unsent = unsent

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        super().invoke(FunctionName, InvocationType, Payload)
        (record,) = json.loads(Payload)["Records"]
        failures = [{"itemIdentifier": record["messageId"]}] if self.unsent else []
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps({"batchItemFailures": failures}).encode())}


ALARM_NOTIFICATION = json.dumps(
    {
        "Type": "Notification",
        "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb00",
        "TopicArn": "arn:aws:sns:us-east-1:111122223333:logger-fn-forwarding",
        "Message": json.dumps({"AlarmName": "member-DeadLettersAlarm", "NewStateValue": "ALARM"}),
    }
)


@pytest.mark.parametrize("unsent", [False, True], ids=["sent", "still not sent"])
def test_a_relayed_alarm_in_the_failed_queue_is_replayed_as_the_relay_queues_event(sqs: Any, unsent: bool) -> None:
    """In organisation mode the relay queue moves an alarm the function could not pass on to the failed-events
    queue (its redrive policy); replayed, it is the SQS event Lambda would have given ("Using Lambda with Amazon
    SQS"), and the message stays until the function answers without batchItemFailures."""
    url = queue_with(sqs, ALARM_NOTIFICATION)
    stub = RelayingLambda(unsent)
    report = replay(sqs, stub, url, "logger-fn")
    (call,) = stub.invoked
    (record,) = call["event"]["Records"]
    assert (record["eventSource"], record["body"]) == ("aws:sqs", ALARM_NOTIFICATION)
    assert record["messageId"] == "95df01b4-ee98-5cb9-9903-4c221d41eb00"
    assert (len(report.replayed), len(report.failed)) == ((0, 1) if unsent else (1, 0))
    assert messages_left(sqs, url) == (1 if unsent else 0)
