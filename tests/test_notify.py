"""Messages to on-call, end to end in moto: the handler logs, then publishes to the alarm topic; an SQS queue
subscribed to the topic reads what arrives. The state table has the shape components/notifications.py deploys.

AWS behaviour relied on, by page:
- "Amazon ECS task state change events" (docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html):
  a stopping task sends several events, and events may come twice (same detail.version).
- "Amazon ECS service deployment state change events" (.../developerguide/ecs_service_deployment_events.html):
  SERVICE_DEPLOYMENT_FAILED (ERROR) with the circuit breaker's reason; a rollback is SERVICE_DEPLOYMENT_IN_PROGRESS
  (INFO) whose reason says it is rolling back; the service ARN is in resources, detail has no clusterArn.
- "Amazon ECS service action events" (.../developerguide/ecs_service_events.html): SERVICE_TASK_PLACEMENT_FAILURE
  is ERROR with a reason such as RESOURCE:MEMORY; SERVICE_STEADY_STATE is INFO.
- SNS API Reference, "Publish": the subject is ASCII and "less than 100 characters long"; with
  MessageStructure=json the message holds a text per protocol (the "https" one for every HTTPS subscriber),
  without it every subscriber gets the same text.
- "Custom notifications using Amazon Q Developer in chat applications"
  (docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html): version "1.0", source "custom", content.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
from handler_capture import FakeContext, load_event
from test_stop_sequence import oom_task_life, stopped

from handler import app, notify
from handler.log_format import LambdaJsonFormatter
from rehearse import clients
from rehearse.mocks import ACCOUNT, REGION, ROOT
from rehearse.play import emulated_aws

LOG_GROUP = "/aws/lambda/ecs-task-events-function"
TASK_ID = "5e1c2a9b0d3f4e6a8b7c9d0e1f2a3b4c"


class Aws:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sns, self.sqs, self.dynamodb = (clients.client(s, REGION) for s in ("sns", "sqs", "dynamodb"))
        self.topic = self.sns.create_topic(Name="alerts")["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"]
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=queue_arn["QueueArn"])
        self.table = "notify-state"
        self.dynamodb.create_table(
            TableName=self.table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        )
        for key, value in {
            notify.TOPIC_ENV: self.topic,
            notify.TABLE_ENV: self.table,
            notify.WINDOW_ENV: "600",
            notify.LOG_GROUP_ENV: LOG_GROUP,
        }.items():
            monkeypatch.setenv(key, value)
        self.now = 1_715_680_000.0  # 2024-05-14T09:46:40Z
        monkeypatch.setattr(notify, "CLOCK", lambda: self.now)
        monkeypatch.setattr(notify, "SLEEP", self.sleep)  # a wait for another copy's claim passes on this clock
        monkeypatch.setattr(notify, "_CLIENTS", {})
        self.monkeypatch = monkeypatch

    def record_services(self) -> list[str]:
        """From now on, the name of every AWS service the function makes a client for, in order."""
        called: list[str] = []
        real = notify.client

        def recording(service: str) -> Any:
            called.append(service)
            return real(service)

        self.monkeypatch.setattr(notify, "client", recording)
        return called

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def messages(self) -> list[dict[str, Any]]:
        """Everything that arrived since the last call: the SNS envelopes' Subject and Message."""
        found: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    with emulated_aws(REGION, ACCOUNT):
        yield Aws(monkeypatch)


def run(event: dict[str, Any]) -> tuple[list[dict[str, Any]], BaseException | None]:
    """The handler on one event: the records it logged (even when it raised) and what it raised."""
    records, _, raised = answered(event)
    return records, raised


def answered(event: dict[str, Any]) -> tuple[list[dict[str, Any]], Any, BaseException | None]:
    """The handler on one event: the records it logged, what it returned (None if it raised) and what it raised."""
    stream = io.StringIO()
    output = logging.StreamHandler(stream)
    output.setFormatter(LambdaJsonFormatter(request_id=FakeContext.aws_request_id))
    logger = logging.getLogger(app.LOGGER_NAME)
    logger.addHandler(output)
    logger.setLevel(logging.INFO)
    raised = answer = None
    try:
        answer = app.handler(event, FakeContext())
    except Exception as error:  # noqa: BLE001 - the test looks at it
        raised = error
    finally:
        logger.removeHandler(output)
    return [json.loads(line) for line in stream.getvalue().splitlines() if line], answer, raised


def body_lines(message: dict[str, Any]) -> dict[str, str]:
    """'Label: value' lines of the email text."""
    lines = {}
    for line in message["Message"].splitlines():
        label, sep, value = line.partition(":")
        if sep and not label.startswith(" ") and value.startswith(" "):
            lines[label] = value.strip()
    return lines


def failed_task(number: int) -> dict[str, Any]:
    event = stopped(8, f"crash-{number}")
    task_id = f"{number:08x}" + TASK_ID[8:]
    event["detail"]["taskArn"] = event["detail"]["taskArn"].replace(TASK_ID, task_id)
    return event


def insights_detail(url: str) -> dict[str, Any]:
    """Undo the console's encoding of a Logs Insights deep link (handler/notify.py, insights_url)."""
    fragment = urlsplit(url).fragment
    assert fragment.startswith("logsV2:logs-insights$3FqueryDetail$3D"), fragment
    inner = unquote(unquote(fragment.removeprefix("logsV2:logs-insights").replace("$", "%")))
    inner = inner.removeprefix("?queryDetail=")
    assert inner.startswith("~(") and inner.endswith(")")
    tokens = inner[2:-1]  # key~value~key~value, each value '~'-led: ~'text, ~1, ~false, ~(~'a~'b)
    detail: dict[str, Any] = {}
    while tokens:
        key, _, tokens = tokens.partition("~")
        if tokens.startswith("("):
            value, _, tokens = tokens[1:].partition(")")
            tokens = tokens.removeprefix("~")
            detail[key] = [decode_value(item) for item in value.split("~")[1:]]
        else:
            value, _, tokens = tokens.partition("~")
            detail[key] = decode_value(value)
    return detail


def decode_value(text: str) -> Any:
    if text.startswith("'"):
        return unquote(text[1:].replace("*", "%"))
    return {"true": True, "false": False}.get(text, text)


def assert_links_are_this_tasks(message: dict[str, Any], cluster: str, task_id: str, service: str) -> None:
    lines = body_lines(message)
    console = urlsplit(lines["Task in the ECS console"])
    assert (console.scheme, console.netloc) == ("https", f"{REGION}.console.aws.amazon.com")
    assert console.path == f"/ecs/v2/clusters/{cluster}/tasks/{task_id}/configuration"
    assert parse_qs(console.query) == {"region": [REGION]}
    deployments = urlsplit(lines["The service's deployments"])
    assert deployments.netloc == f"{REGION}.console.aws.amazon.com"
    assert deployments.path == f"/ecs/v2/clusters/{cluster}/services/{service}/deployments"
    assert parse_qs(deployments.query) == {"region": [REGION]}
    timeline = lines["Task timeline in Logs Insights"]
    parts = urlsplit(timeline)
    assert (parts.netloc, parts.path, parse_qs(parts.query)) == (
        f"{REGION}.console.aws.amazon.com",
        "/cloudwatch/home",
        {"region": [REGION]},
    )
    detail = insights_detail(timeline)
    assert detail["source"] == [LOG_GROUP]
    assert f'filter taskId = "{task_id}"' in detail["editorString"]
    assert detail["timeType"] == "ABSOLUTE" and detail["start"] < detail["end"]
    assert all(ch.isascii() and not ch.isspace() for ch in timeline)


def test_a_failing_tasks_whole_sequence_with_duplicates_sends_one_message(aws: Aws) -> None:
    for _, event in oom_task_life():
        records, raised = run(event)
        assert raised is None and len(records) == 1
    (message,) = aws.messages()
    assert message["Subject"] == "orders-api: task 5e1c2a9b OOM-killed (exit 137)"
    lines = body_lines(message)
    assert lines["Service"] == "orders-api"
    assert lines["Cluster"] == f"demo ({REGION})"
    assert lines["Task"] == TASK_ID
    assert lines["Task definition"] == "orders-api:42"
    assert lines["Stop code"] == "EssentialContainerExited"
    assert lines["Stopped reason"] == "Essential container in task exited"
    assert lines["Container app"] == "exit 137, OutOfMemoryError: Container killed due to memory usage"
    assert lines["Container log-router"] == "exit 143"
    assert lines["Ran for"].endswith("s") and lines["Ran for"][0].isdigit()
    assert_links_are_this_tasks(message, "demo", TASK_ID, "orders-api")
    # Another instance (no memory of the first) gets the STOPPED event again: the table says it was sent.
    app.forget_seen_events()
    _, raised = run(stopped(8, "late-copy"))
    assert raised is None and aws.messages() == []


def test_a_crash_loop_sends_one_message_then_one_that_counts_the_rest(aws: Aws) -> None:
    start = aws.now
    for number in range(20):  # 20 failed tasks in 5 minutes
        aws.now = start + number * 15
        _, raised = run(failed_task(number))
        assert raised is None
    (first,) = aws.messages()
    assert first["Subject"] == "orders-api: task 00000000 OOM-killed (exit 137)"
    assert "held back" not in first["Message"]
    aws.now = start + 12 * 60  # past the 10-minute window: the next failure goes out, with the count
    run(failed_task(20))
    (second,) = aws.messages()
    assert second["Subject"] == "orders-api: task 00000014 OOM-killed (exit 137) (+19 held back)"
    assert "19 more task failures of this service were held back since 09:46 UTC" in second["Message"]


def test_a_failed_deployment_and_its_rollback(aws: Aws) -> None:
    failed = load_event("deployment_state_change")
    run(failed)
    (message,) = aws.messages()
    assert message["Subject"] == "orders-api: deployment failed"
    lines = body_lines(message)
    assert lines["Service"] == "orders-api" and lines["Cluster"] == f"demo ({REGION})"
    assert lines["Event"] == "SERVICE_DEPLOYMENT_FAILED (ERROR)"
    assert lines["Deployment"] == "ecs-svc/1234567890123456789"
    assert lines["Reason"] == "ECS deployment circuit breaker: task failed to start."
    deployments = urlsplit(lines["The service's deployments"])
    assert deployments.path == "/ecs/v2/clusters/demo/services/orders-api/deployments"
    assert (
        'serviceArn = "arn:aws:ecs:eu-west-1:111122223333:service/demo/orders-api"'
        in (insights_detail(lines["Service events in Logs Insights"])["editorString"])
    )
    run(copy.deepcopy(failed))  # EventBridge delivers it again: nothing new
    assert aws.messages() == []
    aws.now += 11 * 60
    run(load_event("deployment_rollback"))
    (rollback,) = aws.messages()
    assert rollback["Subject"] == "orders-api: deployment rolling back"


SHORT_SERVICE_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/orders-api"


def short_arned(name: str, cluster_arn: object) -> dict[str, Any]:
    """The sample with the short service ARN (no cluster) and ``cluster_arn`` as detail.clusterArn (absent: ...)."""
    event = load_event(name)
    event["resources"] = [SHORT_SERVICE_ARN]
    event["detail"].pop("clusterArn", None)
    if cluster_arn is not ...:
        event["detail"]["clusterArn"] = cluster_arn
    return event


@pytest.mark.parametrize(
    ("name", "cluster_arn"),
    [
        ("deployment_state_change", ...),
        ("service_task_placement_failure", ...),
        ("service_task_placement_failure", None),
        ("service_task_placement_failure", ""),
    ],
    ids=["deployment", "action without clusterArn", "action with clusterArn null", "action with clusterArn empty"],
)
def test_a_short_service_arn_without_a_cluster_says_the_cluster_is_unknown(
    aws: Aws, name: str, cluster_arn: object
) -> None:
    """A service created before 2021 may keep its short ARN, arn:aws:ecs:REGION:ACCOUNT:service/NAME ("Migrate an
    Amazon ECS short service ARN to a long ARN", Amazon ECS Developer Guide), and a deployment event has no
    clusterArn ("Amazon ECS service deployment state change events"): the message says the event names no
    cluster, and links no console page it cannot address."""
    run(short_arned(name, cluster_arn))
    (message,) = aws.messages()
    lines = body_lines(message)
    assert lines["Service"] == "orders-api"
    assert lines["Cluster"] == f"not named by the event ({REGION})"
    assert "None" not in message["Message"] and "clusters//" not in message["Message"]
    assert "The service's deployments" not in lines


def test_a_short_service_arn_with_the_events_cluster_names_it(aws: Aws) -> None:
    run(short_arned("service_task_placement_failure", f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/demo"))
    (message,) = aws.messages()
    lines = body_lines(message)
    assert lines["Cluster"] == f"demo ({REGION})"
    assert urlsplit(lines["The service's deployments"]).path == "/ecs/v2/clusters/demo/services/orders-api/deployments"


def test_a_placement_failure_and_a_steady_state(aws: Aws) -> None:
    run(load_event("service_task_placement_failure"))
    (message,) = aws.messages()
    assert message["Subject"] == "orders-api: cannot place tasks (RESOURCE:MEMORY)"
    assert body_lines(message)["Event"] == "SERVICE_TASK_PLACEMENT_FAILURE (ERROR)"
    run(load_event("service_steady_state"))
    assert aws.messages() == []


@pytest.mark.parametrize(
    "name", ["task_stopped_scale_in", "task_stopped_essential_clean", "task_stopped_spot", "task_running"]
)
def test_a_clean_stop_or_normal_event_sends_nothing_and_calls_nothing(
    aws: Aws, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notify, "client", lambda service: pytest.fail(f"an AWS call ({service}) for {name}"))
    records, raised = run(load_event(name))
    assert raised is None and records and aws.messages() == []


def test_a_failed_publish_logs_fails_the_invocation_and_the_retry_sends_once(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(notify.TOPIC_ENV, aws.topic + "-deleted")  # SNS answers NotFound
    event = stopped(8, "will-fail")
    records, raised = run(event)
    assert raised is not None and "NotFound" in type(raised).__name__ + str(raised)
    (record,) = records  # logged first, whatever happened to the message
    assert record["level"] == "ERROR" and record["abnormal"] is True
    assert aws.messages() == []
    monkeypatch.setenv(notify.TOPIC_ENV, aws.topic)
    records, raised = run(copy.deepcopy(event))  # Lambda's retry, on the same warm instance
    # A copy for the metrics (the task was counted with the first record), and the message still goes out once.
    assert raised is None and records[0]["duplicate"] is True and "abnormal" not in records[0]
    (message,) = aws.messages()
    assert message["Subject"].startswith("orders-api: task 5e1c2a9b")
    assert body_lines(message)["Ran for"][0].isdigit()  # the whole message, though the record is a copy's
    run(copy.deepcopy(event))  # and a further copy sends nothing
    assert aws.messages() == []


def test_the_alarm_topic_gets_the_readable_text_for_every_protocol_and_the_chat_topic_the_chat_format(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other HTTPS subscribers of the alarm topic (a PagerDuty webhook) never get the chat JSON.

    SNS API Reference, "Publish" (MessageStructure): with MessageStructure=json the message holds a text per
    protocol, and its "https" text goes to every HTTPS subscriber, the chat service and a webhook alike; without
    it, every subscriber gets Message. So the alarm topic gets the readable text alone, and the chat format goes
    to the chat topic, which only the chat channel subscribes to.
    """
    sent: list[dict[str, Any]] = []
    sns = boto3.client("sns", region_name=REGION)
    chat_topic = sns.create_topic(Name="chat")["TopicArn"]
    chat_inbox = aws.sqs.create_queue(QueueName="chat-inbox")["QueueUrl"]
    inbox_arn = aws.sqs.get_queue_attributes(QueueUrl=chat_inbox, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(TopicArn=chat_topic, Protocol="sqs", Endpoint=inbox_arn["QueueArn"])

    class Recording:
        exceptions = boto3.client("dynamodb", region_name=REGION).exceptions

        def publish(self, **params: Any) -> Any:
            sent.append(params)
            return sns.publish(**params)

    real = notify.client
    monkeypatch.setattr(notify, "client", lambda service: Recording() if service == "sns" else real(service))
    run(stopped(8, "no-chat-topic"))
    (params,) = sent  # without a Slack channel: the alarm topic only
    assert "MessageStructure" not in params and params["TopicArn"] == aws.topic
    assert params["Message"].startswith("Service:") and "client-markdown" not in params["Message"]

    sent.clear()
    aws.messages()
    monkeypatch.setenv(notify.CHAT_TOPIC_ENV, chat_topic)
    aws.now += 3600  # past the service's window: another task's failure goes out
    run(failed_task(2))
    (readable, chat_params) = sent
    assert readable["TopicArn"] == aws.topic and "MessageStructure" not in readable
    assert len(readable["Subject"]) < 100 and readable["Message"].startswith("Service:")
    assert chat_params["TopicArn"] == chat_topic and "MessageStructure" not in chat_params
    # What each subscriber got, as SNS delivered it: the alarm topic's queue the text, the chat topic's the JSON.
    assert [message["Message"] for message in aws.messages()] == [readable["Message"]]
    (delivered,) = aws.sqs.receive_message(QueueUrl=chat_inbox, MaxNumberOfMessages=10)["Messages"]
    chat = json.loads(json.loads(delivered["Body"])["Message"])
    assert (chat["version"], chat["source"], chat["content"]["textType"]) == ("1.0", "custom", "client-markdown")
    assert chat["content"]["title"].endswith("orders-api: task 00000002 OOM-killed (exit 137)")
    assert "*Stop code:* EssentialContainerExited" in chat["content"]["description"]
    assert [step.split(": ", 1)[0] for step in chat["content"]["nextSteps"]] == [
        "Task in the ECS console",
        "Task timeline in Logs Insights",
        "The service's deployments",
    ]
    assert chat["metadata"]["threadId"] == "window#task#arn:aws:ecs:eu-west-1:111122223333:service/demo/orders-api"


def test_subjects_stay_under_snss_limit_and_ascii() -> None:
    fields = {
        "detailType": "ECS Task State Change",
        "abnormal": True,
        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/demo",
        "taskId": TASK_ID,
        "group": "service:" + "ß-very-long-service-name" * 8,
        "stopCode": "EssentialContainerExited",
        "containers": [{"name": "app", "exitCode": 1}],
    }
    notice = notify.build_notice(fields, {}, LOG_GROUP)
    assert notice is not None
    for held in (0, 12345):
        subject = notify.subject_line(notice, held)
        assert len(subject) < 100 and subject.isascii() and "\n" not in subject
        assert subject.endswith(f"(+{held} held back)") if held else subject.endswith("...")


def test_which_records_call_for_a_message() -> None:
    assert app.wants_message({"abnormal": True})
    assert not app.wants_message({"duplicate": True, "detailType": "ECS Task State Change"})
    action = {"detailType": "ECS Service Action", "eventType": "ERROR"}
    assert app.wants_message({**action, "eventName": "SERVICE_TASK_CONFIGURATION_FAILURE"})
    assert not app.wants_message({**action, "eventName": "ECS_OPERATION_THROTTLED"})
    assert not app.wants_message({**action, "eventType": "INFO", "eventName": "SERVICE_STEADY_STATE"})
    deployment = {"detailType": "ECS Deployment State Change", "eventName": "SERVICE_DEPLOYMENT_IN_PROGRESS"}
    assert not app.wants_message({**deployment, "reason": "ECS deployment ecs-svc/1 in progress."})


def test_normal_events_import_neither_notify_nor_boto3() -> None:
    script = (
        "import sys, json, logging; from handler.app import handler\n"
        "for name in ('task_running', 'task_stopped_scale_in', 'service_steady_state'):\n"
        "    handler(json.load(open(f'tests/events/{name}.json')))\n"
        "print(json.dumps(sorted(m for m in ('handler.notify', 'boto3', 'botocore') if m in sys.modules)))\n"
    )
    env = {"NOTIFY_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []
