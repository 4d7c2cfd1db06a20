"""The failed container's last lines in its message (containerLogLines): found by the task id, redacted, cut.

AWS behaviour relied on, by page:
- "Send Amazon ECS logs to CloudWatch" (docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html):
  awslogs streams are prefix-name/container-name/ecs-task-id; the test bed writes this task's and a neighbour's.
- FilterLogEvents (CloudWatch Logs API Reference): events of a log group between startTime and endTime, each with
  its logStreamName, at most 10,000 events or 1 MB a page, nextToken for more; a missing group is
  ResourceNotFoundException. moto implements these; the handler keeps only the task's own streams itself.
- "Actions, resources, and condition keys for Amazon CloudWatch Logs" (Service Authorization Reference,
  docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html): FilterLogEvents is
  authorised on the log-group resource type (arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}),
  so the role can be held to the named groups; parliament (tests/test_iam_lint.py) checks the action and its
  resource type against its copy of that reference.
- SNS API Reference, "Publish": a message of at most 256 KB.
- "Understanding unique ID prefixes" (IAM User Guide): access key ids start AKIA (long-term) or ASIA (temporary).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from handler_capture import FakeContext
from test_notify import TASK_ID, Aws, body_lines, run
from test_stop_sequence import stopped

from components.container_logs import read_policy
from handler import container_lines, container_logs, notify
from handler.log_redact import redact_line
from handler.redact import REDACTED
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, run_program, stack_config
from rehearse.play import emulated_aws

GROUP = "/ecs/orders-api"
NEIGHBOUR = "f" * 32
SECRETS = (
    "hunter2-db-pass",
    "eyJhbGciOiJIUzI1NiJ9.payload.signature",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "s3cr3t-value",
    "sk_live_51abc",
)
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FUNCTION = "aws:lambda/function:Function"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    with emulated_aws(REGION, ACCOUNT):
        found = Aws(monkeypatch)
        monkeypatch.setenv(container_logs.GROUPS_ENV, '["/ecs/"]')
        monkeypatch.setenv(container_lines.LINES_ENV, "5")
        yield found


def iso(millis: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis / 1000)) + f".{millis % 1000:03d}Z"


def write(stream: str, lines: list[tuple[int, str]]) -> None:
    logs = boto3.client("logs", region_name=REGION)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
    events = [{"timestamp": when, "message": text} for when, text in lines]
    logs.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=events)


def oom_now(event_id: str = "lines") -> tuple[dict[str, Any], int]:
    """The OOM sample, stopped a minute ago (CloudWatch Logs refuses events older than 14 days)."""
    stop = (int(time.time()) - 60) * 1000
    event = stopped(8, event_id)
    event["detail"]["stoppedAt"] = iso(stop)
    return event, stop


def app_life(stop: int) -> list[tuple[int, str]]:
    ordinary = [(stop - 90_000 + i * 1000, f"GET /orders/{i} 200 12ms") for i in range(8)]
    return [
        *ordinary,
        (stop - 5000, "connecting to postgres://orders:hunter2-db-pass@db.internal:5432/orders"),
        (stop - 4000, "retrying with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature"),
        (stop - 3000, "aws_access_key_id=AKIAIOSFODNN7EXAMPLE aws secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        (stop - 2000, 'config loaded {"db_password": "s3cr3t-value", "stripe_api_key": "sk_live_51abc"}'),
        (stop - 1000, "fatal: out of memory allocating 2147483648 bytes"),
    ]


def test_the_last_lines_are_the_tasks_own_and_hold_no_secret(aws: Aws) -> None:
    event, stop = oom_now()
    write(f"ecs/app/{TASK_ID}", app_life(stop))
    write(f"ecs/app/{NEIGHBOUR}", [(stop - 500, "neighbour: all is well"), (stop - 100, "neighbour password=x1")])
    _, raised = run(event)
    assert raised is None
    (message,) = aws.messages()
    text = message["Message"]
    block = text.split("The task's last 5 container log lines (redacted):\n", 1)[1].split("\n\n", 1)[0]
    shown = [line.strip() for line in block.splitlines()]
    assert len(shown) == 5 and all(line.startswith("[app] ") for line in shown)
    assert shown[0].startswith("[app] connecting to postgres://orders:") and shown[-1].endswith("2147483648 bytes")
    assert "neighbour" not in text and "GET /orders" not in text
    assert text.count(REDACTED) >= 6
    assert not [secret for secret in SECRETS if secret in json.dumps(message)]
    assert "Container logs" not in body_lines(message)  # lines were found: no word about them being elsewhere


def test_the_chat_text_has_the_same_lines(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []
    real = notify.client

    class Recording:
        def publish(self, **params: Any) -> Any:
            sent.append(params)
            return real("sns").publish(**params)

        def __getattr__(self, name: str) -> Any:
            return getattr(real("sns"), name)

    monkeypatch.setattr(notify, "client", lambda service: Recording() if service == "sns" else real(service))
    chat_topic = real("sns").create_topic(Name="chat")["TopicArn"]
    monkeypatch.setenv(notify.CHAT_TOPIC_ENV, chat_topic)
    event, stop = oom_now("chat")
    write(f"ecs/app/{TASK_ID}", app_life(stop))
    run(event)
    (params,) = [published for published in sent if published["TopicArn"] == chat_topic]
    chat = json.loads(params["Message"])
    description = chat["content"]["description"]
    assert "*Last container log lines (redacted):*\n```\n[app] connecting" in description
    assert description.count("\n[app] ") == 5 and not [secret for secret in SECRETS if secret in description]


@pytest.mark.parametrize(
    ("breakage", "reason"),
    [
        ("no group", f"{GROUP} could not be read (ResourceNotFoundException)"),
        ("throttled", f"{GROUP} could not be read (ThrottlingException)"),
        ("denied", f"{GROUP} could not be read (AccessDeniedException)"),
        ("no stream", f"none found in {GROUP} for this task"),
        ("out of time", "too little of the invocation was left"),
    ],
)
def test_a_failed_read_costs_the_lines_not_the_message(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, breakage: str, reason: str
) -> None:
    event, stop = oom_now(breakage)
    if breakage != "no group":
        write(f"ecs/app/{NEIGHBOUR}", [(stop - 500, "neighbour line")])
    if breakage in ("throttled", "denied"):
        code = "ThrottlingException" if breakage == "throttled" else "AccessDeniedException"
        real = notify.client

        class Refusing:
            def filter_log_events(self, **params: Any) -> Any:
                raise ClientError({"Error": {"Code": code, "Message": "no"}}, "FilterLogEvents")

            meta = real("logs").meta

        monkeypatch.setattr(notify, "client", lambda service: Refusing() if service == "logs" else real(service))
    if breakage == "out of time":
        # 3 s left: each attempt gets 0.25 s to connect and to read, a call at most 2 s; the publish and the mark
        # need 2.5 s, so the 2 s of a read do not fit beside them, and the message goes without the lines.
        write(f"ecs/app/{TASK_ID}", app_life(stop))
        monkeypatch.setattr(FakeContext, "get_remaining_time_in_millis", lambda self: 3000, raising=False)
    _, raised = run(event)
    assert raised is None
    (message,) = aws.messages()
    assert reason in body_lines(message)["Container log lines"]
    assert body_lines(message)["Container log lines"].startswith("not included: ")
    assert "OOM-killed" in message["Subject"]


def test_never_more_than_n_lines_and_within_the_message_limits(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(container_lines.LINES_ENV, "50")
    event, stop = oom_now("long")
    write(f"ecs/app/{TASK_ID}", [(stop - 60_000 + i * 100, f"{i:03d} " + "x" * 2000) for i in range(120)])
    run(event)
    (message,) = aws.messages()
    text = message["Message"]
    block = text.split("container log lines (redacted):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert 0 < len(block) <= 50
    assert all(len(line.strip()) <= len("[app] ") + container_lines.MAX_LINE_CHARACTERS for line in block)
    assert sum(len(line.strip()) + 1 for line in block) <= container_lines.MAX_TOTAL_CHARACTERS + len(block)
    assert block[-1].strip().startswith("[app] 119 ")  # the newest are kept, the oldest cut
    assert len(json.dumps(message).encode()) < 256 * 1024


def test_redaction_composes_with_the_event_rule() -> None:
    """A JSON line goes through handler/redact.py (environment values dropped, names kept), then the text rules."""
    line = json.dumps({"environment": [{"name": "DB_URL", "value": "postgres://u:pw1@db"}], "msg": "token=abc123"})
    redacted = json.loads(redact_line(line))
    assert redacted["environment"] == [{"name": "DB_URL", "value": REDACTED}]
    assert redacted["msg"] == f"token={REDACTED}"
    cases = {
        "redis://:p4ss@cache:6379": f"redis://:{REDACTED}@cache:6379",
        "PASSWORD=abc def": f"PASSWORD={REDACTED} def",
        "secret: 'quoted value'": f"secret: '{REDACTED}'",
        "bearer abc.def-ghi": f"bearer {REDACTED}",
        "key ASIAY34FZKBOKMUTVV7A used": f"key {REDACTED} used",
        "plain line, nothing to hide": "plain line, nothing to hide",
        "bell\x07 and\x1b[31m colour": "bell  and [31m colour",
    }
    assert {text: redact_line(text) for text in cases} == cases


def read_statements(config: dict[str, Any]) -> list[dict[str, Any]]:
    deployed = run_program(stack_config(clusterArn=CLUSTER_ARN, **config))
    return [
        statement
        for policy in deployed.of_type(ROLE_POLICY)
        for statement in json.loads(policy.outputs["policy"])["Statement"]
        if "logs:FilterLogEvents" in json.dumps(statement["Action"])
    ]


def test_the_role_reads_only_the_named_groups_and_only_with_lines() -> None:
    assert read_statements({"containerLogGroups": ["/ecs/", "/shared/app"]}) == []
    (statement,) = read_statements({"containerLogGroups": ["/ecs/", "/shared/app"], "containerLogLines": "5"})
    where = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
    assert statement["Action"] == "logs:FilterLogEvents"
    assert statement["Resource"] == [f"{where}/ecs/*", f"{where}/shared/app", f"{where}/shared/app:*"]
    own = f"arn:aws-cn:logs:cn-north-1:{ACCOUNT}:log-group:/aws/lambda/x"
    (cn,) = json.loads(read_policy(own, ["/ecs/orders-*"]))["Statement"]
    assert cn["Resource"] == [f"arn:aws-cn:logs:cn-north-1:{ACCOUNT}:log-group:/ecs/orders-*"]


def test_the_logs_client_is_the_bounded_one(aws: Aws) -> None:
    """The read uses handler/notify.py's client factory: timeouts and attempts sized to the function's timeout."""
    event, stop = oom_now("bounded")
    write(f"ecs/app/{TASK_ID}", app_life(stop))
    run(event)
    config = notify._CLIENTS["logs"].meta.config
    assert config.read_timeout <= notify.ATTEMPT_TIMEOUT_BOUNDS[1]
    assert config.retries["total_max_attempts"] == notify.CALL_ATTEMPTS
