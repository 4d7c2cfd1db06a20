"""The failed task's own container logs in its message: the Logs Insights link (containerLogGroups).

AWS behaviour relied on, by page:
- "Send Amazon ECS logs to CloudWatch" (docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html),
  awslogs-stream-prefix: a container's stream is named prefix-name/container-name/ecs-task-id, so the task id
  picks out the task's own streams, whatever the prefix; the test bed writes streams named so, for this task and
  for another task of the same service, and the query must tell them apart.
- "Amazon ECS container logs for EC2 and Fargate launch types" (AWS Prescriptive Guidance,
  docs.aws.amazon.com/prescriptive-guidance/latest/implementing-logging-monitoring-cloudwatch/ec2-fargate-logs.html):
  the console's Auto-configure CloudWatch Logs names the group /ecs/<task_name> (the task definition family).
- "SOURCE" (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Source.html): selecting log groups
  by prefix "is supported only in the AWS CLI and API, not in the CloudWatch console", so the link names groups.
- "CloudWatch Logs Insights language query syntax" (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/
  CWL_QuerySyntax.html): commands separated by '|', `like` with a string matches a substring; held here by
  ``console_accepts``, which knows the commands and operators the query may use.
- The console's deep-link encoding: decoded with the decoder that reads a link the console made
  (tests/test_dashboard.py, test_the_decoder_reads_a_link_the_console_made).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from test_dashboard import insights_detail
from test_notify import TASK_ID, Aws, body_lines, run
from test_stop_sequence import stopped

from handler import container_logs, notify
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, Run, run_program, stack_config
from rehearse.play import emulated_aws

FUNCTION = "aws:lambda/function:Function"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

STOPPED_AT = "2024-05-14T11:30:31.250Z"  # the OOM sample's stoppedAt
LINK = "Container logs in Logs Insights"
# The Logs Insights commands ("Query syntax", CloudWatch Logs User Guide) and what the link's query may use.
COMMANDS = {"fields", "filter", "sort", "limit", "stats", "parse", "display", "dedup"}


def console_accepts(query: str) -> None:
    """Each '|'-separated part starts with a Logs Insights command; `like` takes a quoted string or /regex/;
    `sort` names a field and asc/desc; `limit` is 1 to 10,000 ("limit: ... up to 10,000", Query syntax)."""
    parts = [part.strip() for part in query.split("|")]
    for part in parts:
        command, _, rest = part.partition(" ")
        assert command in COMMANDS, part
        if command == "filter":
            assert re.fullmatch(r'@\w+ like ("[^"\n]+"|/[^/\n]+/)', rest), part
        if command == "sort":
            assert re.fullmatch(r"@?\w+ (asc|desc)", rest), part
        if command == "limit":
            assert 1 <= int(rest) <= 10_000, part
        if command == "fields":
            assert all(re.fullmatch(r"@\w+", name.strip()) for name in rest.split(",")), part


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    with emulated_aws(REGION, ACCOUNT):
        yield Aws(monkeypatch)


def seconds(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def container_link(message: dict[str, Any]) -> str:
    return body_lines(message)[LINK]


def test_the_message_links_the_tasks_own_streams_before_the_stop(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """The link opens Logs Insights in the task's region on /ecs/orders-api (the prefix and the family), over the
    15 minutes before the stop, on a query that keeps this task's streams and not its neighbour's."""
    unset = stopped(8, "unset")  # another task of the service, without the setting: no such link
    unset["detail"]["taskArn"] = unset["detail"]["taskArn"].replace(TASK_ID, TASK_ID[:-1] + "0")
    run(unset)
    (plain,) = aws.messages()
    assert LINK not in body_lines(plain) and "Container logs" not in body_lines(plain)
    aws.now += 11 * 60
    monkeypatch.setenv(container_logs.GROUPS_ENV, '["/ecs/", "/shared/app-logs"]')
    _, raised = run(stopped(8, "link"))
    assert raised is None
    (message,) = aws.messages()
    url = container_link(message)
    parts = urlsplit(url)
    assert (parts.netloc, parts.path, parse_qs(parts.query)) == (
        f"{REGION}.console.aws.amazon.com",
        "/cloudwatch/home",
        {"region": [REGION]},
    )
    assert re.fullmatch(r"[A-Za-z0-9$*.\-]*", url.split("#logsV2:logs-insights", 1)[1])
    detail = insights_detail(url)
    assert detail["source"] == ["/ecs/orders-api", "/shared/app-logs"]
    assert (detail["timeType"], detail["tz"], detail["isLiveTail"]) == ("ABSOLUTE", "UTC", False)
    assert seconds(detail["start"]) == pytest.approx(seconds(STOPPED_AT) - 15 * 60, abs=1)
    assert seconds(detail["end"]) == pytest.approx(seconds(STOPPED_AT) + 2 * 60, abs=1)
    query = detail["editorString"]
    console_accepts(query)
    # The query, as Logs Insights reads its filter, keeps this task's awslogs streams and nobody else's.
    needle = re.search(r'like "([^"]+)"', query)
    assert needle is not None
    streams = {
        f"ecs/app/{TASK_ID}": True,
        f"orders/log-router/{TASK_ID}": True,
        f"ecs/app/{'f' * 32}": False,
        f"ecs/app/{TASK_ID[:8]}": False,
    }
    assert {stream: needle.group(1) in stream for stream in streams} == streams


def test_the_link_costs_no_aws_call(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same calls as a message without it: the table and the topic, nothing of CloudWatch Logs."""
    called = aws.record_services()
    monkeypatch.setenv(container_logs.GROUPS_ENV, '["/ecs/"]')
    run(stopped(8, "no-call"))
    (message,) = aws.messages()
    assert LINK in body_lines(message)
    assert set(called) == {"dynamodb", "sns"}


def test_a_task_with_a_log_router_says_its_lines_may_be_elsewhere(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """The event does not say which driver a container used (that is in the task definition); a container named as
    FireLens's log router is the one hint it carries, and the message says what that means."""
    monkeypatch.setenv(container_logs.GROUPS_ENV, '["/ecs/"]')
    run(stopped(8, "router"))  # the OOM sample has a 'log-router' container
    (message,) = aws.messages()
    note = body_lines(message)["Container logs"]
    assert "log router (log-router)" in note and "FireLens" in note and "/ecs/orders-api" in note
    without_router = stopped(8, "no-router")
    without_router["detail"]["containers"] = without_router["detail"]["containers"][:1]
    without_router["detail"]["taskArn"] = without_router["detail"]["taskArn"].replace(TASK_ID, "a" * 32)
    aws.now += 11 * 60  # past the service's window
    run(without_router)
    (second,) = aws.messages()
    assert "Container logs" not in body_lines(second) and LINK in body_lines(second)


def fields_of(cluster_arn: str, **extra: Any) -> dict[str, Any]:
    return {
        "detailType": "ECS Task State Change",
        "abnormal": True,
        "clusterArn": cluster_arn,
        "taskId": TASK_ID,
        "group": "service:orders-api",
        "taskDefinition": "orders-api:42",
        "eventTime": STOPPED_AT,
        "containers": [{"name": "app", "exitCode": 1}],
        **extra,
    }


@pytest.mark.parametrize(
    ("partition", "region", "host"),
    [
        ("aws", "us-east-2", "us-east-2.console.aws.amazon.com"),
        ("aws-cn", "cn-north-1", "console.amazonaws.cn"),
        ("aws-us-gov", "us-gov-west-1", "console.amazonaws-us-gov.com"),
    ],
)
def test_the_link_is_in_the_tasks_region_and_partition(partition: str, region: str, host: str) -> None:
    """The task's console, not the logger's: the region and partition come from the cluster ARN."""
    cluster = f"arn:{partition}:ecs:{region}:{ACCOUNT}:cluster/demo"
    notice = notify.build_notice(fields_of(cluster), {"detail": {"stoppedAt": STOPPED_AT}}, None, ["/ecs/*"])
    assert notice is not None
    url = dict(notice.links)[LINK]
    parts = urlsplit(url)
    assert parts.netloc == host and parse_qs(parts.query) == {"region": [region]}
    assert insights_detail(url)["source"] == ["/ecs/orders-api"]


def test_a_prefix_without_a_family_names_no_group_and_says_so() -> None:
    fields = fields_of(f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/demo", taskDefinition=None)
    notice = notify.build_notice(fields, {}, None, ["/ecs/"])
    assert notice is not None and LINK not in dict(notice.links)
    assert "family is unknown" in dict(notice.lines)["Container logs"]
    named = notify.build_notice(fields, {}, None, ["/ecs/", "/exact/group"])
    assert named is not None and insights_detail(dict(named.links)[LINK])["source"] == ["/exact/group"]


def test_an_unreadable_setting_gives_no_link_and_no_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw in ("not json", '{"a": 1}', "[1, null]", ""):
        assert container_logs.configured_groups({container_logs.GROUPS_ENV: raw}) == []
    assert container_logs.configured_groups({container_logs.GROUPS_ENV: '["/ecs/", 3]'}) == ["/ecs/"]


def test_the_family_is_read_from_the_record_or_an_arn() -> None:
    assert container_logs.family_of("orders-api:42") == "orders-api"
    assert container_logs.family_of(f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/orders-api:42") == "orders-api"
    assert container_logs.family_of(None) is None


def role_policies(deployed: Run) -> list[Any]:
    return sorted(json.dumps(policy.outputs["policy"], sort_keys=True) for policy in deployed.of_type(ROLE_POLICY))


def test_the_groups_reach_the_function_and_grant_nothing() -> None:
    """The function reads the groups from its environment; the role's policies are those of a stack without them
    (the link is only a URL), and the stack passes the Pulumi CLI's type check with the list as --path sets it."""
    plain = run_program(stack_config(clusterArn=CLUSTER_ARN))
    linked = run_program(stack_config(clusterArn=CLUSTER_ARN, containerLogGroups=["/ecs/", "/shared/app-logs"]))
    variables = linked.one(FUNCTION).outputs["environment"]["variables"]
    assert json.loads(variables[container_logs.GROUPS_ENV]) == ["/ecs/", "/shared/app-logs"]
    assert container_logs.GROUPS_ENV not in plain.one(FUNCTION).outputs["environment"]["variables"]
    assert role_policies(linked) == role_policies(plain)
