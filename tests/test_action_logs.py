"""ECS Action Logs (actionLogs): the delivery resources under the mocks and in the rehearsal, the group's policy,
the function's link to a service's Action Logs, and the dashboard's widget.

AWS behaviour relied on, by page:
- "Getting started with Amazon ECS Action Logs" (docs.aws.amazon.com/AmazonECS/latest/developerguide/
  action-logs-getting-started.html): opted in per cluster with PutDeliverySource (the cluster's ARN as resourceArn),
  PutDeliveryDestination (a log group, json) and CreateDelivery; the log group's resource policy lets
  delivery.logs.amazonaws.com CreateLogStream and PutLogEvents on the group's streams.
- PutDeliverySource (CloudWatch Logs API Reference; botocore's logs model): name 1 to 60 of [\\w-]*, unique in the
  account; logType "For Amazon ECS, the valid value is ACTION_LOGS" (the AWS CDK's generated CfnClusterLogsMixin
  uses the same; the ECS guide's CLI example writes EcsActionLogs, which no model gives; the test bed holds to the
  API Reference); resourceArn
  takes a wildcard only for the Security Hub and Logs Insights log types, so a source covers one existing cluster.
  PutDeliveryDestination: the same name rule, outputFormat one of its enum. CreateDelivery: a source's name and a
  destination's ARN.
- "Logs sent to CloudWatch Logs" (CloudWatch Logs User Guide, AWS-logs-infrastructure-V2-CloudWatchLogs.html): the
  statement AWSLogDeliveryWrite20150319 for delivery.logs.amazonaws.com, Resource the group's log-stream:*, with
  StringEquals aws:SourceAccount and ArnLike aws:SourceArn arn:aws:logs:REGION:ACCOUNT:*.
- PutResourcePolicy (CloudWatch Logs API Reference): only logs:PutLogEvents and logs:CreateLogStream, only service
  principals; a policy per log group with resourceArn. The rehearsal enforces both (rehearse/aws.py).
- "Monitor Amazon ECS operations with Action Logs" (.../developerguide/action-logs.html): what is logged (service
  deployments, Managed Daemons), the log schema (timestamp, logLevel, account, region, resourceArn, actionSourceId,
  eventName, detail), one stream per sub-resource named by actionSourceId.
- "Troubleshooting with Amazon ECS Action Logs" (.../developerguide/action-logs-troubleshooting.html): the
  actionSourceId of a service is service/CLUSTER/SERVICE (a daemon's is its whole ARN); detail carries eventName
  and statusReason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pulumi
import pytest
from config_refusals import config_error
from handler_capture import load_event
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import MockMonitor
from test_dashboard import insights_detail
from test_notify import Aws, body_lines, run

import components.action_logs
from components import EcsTaskEventLogger, EcsTaskEventLoggerArgs
from handler import action_logs, notify
from rehearse import api_model
from rehearse.aws import Rehearsal, documented_log_types
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, PROJECT, REGION, STACK, RecordingMocks, Run, run_program, stack_config
from rehearse.mocks import run as run_under_mocks
from rehearse.play import emulated_aws

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
DESTINATION = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
FUNCTION = "aws:lambda/function:Function"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
BATCH_ARN = CLUSTER_ARN.replace("cluster/demo", "cluster/batch")
LINK = "ECS Action Logs in Logs Insights"
# "Log schema overview": the fields of every Action Log entry, and @ fields, which are Logs Insights' own.
ACTION_LOG_FIELDS = {"timestamp", "logLevel", "account", "region", "resourceArn", "actionSourceId", "eventName"}
# Logs Insights' commands and the words of this query ("Query syntax", CloudWatch Logs User Guide).
COMMANDS = {"fields", "filter", "sort", "limit"}


def deployed(**config: Any) -> Run:
    clusters = {} if "allClusters" in config or "clusterArns" in config else {"clusterArn": CLUSTER_ARN}
    return run_program(stack_config(**clusters, **config))


def action_group(run: Run) -> dict[str, Any]:
    (group,) = [g.outputs for g in run.of_type(LOG_GROUP) if g.name.endswith("-action-logs")]
    return group


def name_violations(operation: str, member: str, value: str) -> list[str]:
    """What the logs API model says of ``value`` as ``member`` of ``operation``."""
    model = boto3.client("logs", region_name=REGION).meta.service_model.operation_model(operation)
    return api_model.violations(value, model.input_shape.members[member], member)


# ------------------------------------------------------------------------------------------------ the resources


def test_a_source_per_cluster_with_the_log_type_the_api_documents_for_ecs() -> None:
    """Each cluster its own source: its ARN as resourceArn, the log type the API model documents for Amazon ECS
    (read from the model, not from the program), a name the API takes, and no two alike."""
    two = deployed(clusterArns=[CLUSTER_ARN, BATCH_ARN], actionLogs="true")
    sources = [source.outputs for source in two.of_type(SOURCE)]
    assert sorted(source["resourceArn"] for source in sources) == sorted([CLUSTER_ARN, BATCH_ARN])
    assert {source["logType"] for source in sources} == set(documented_log_types("Amazon ECS")) == {"ACTION_LOGS"}
    names = [source["name"] for source in sources]
    assert len(set(names)) == 2
    for name in names:
        assert name_violations("PutDeliverySource", "name", name) == []


def test_names_fit_the_api_whatever_the_cluster_and_differ_between_stacks() -> None:
    """A 255-character cluster name and the longest component name still give names of at most 60 of [\\w-]; the
    same logger in another stack of the account gets other names (they are unique in the account)."""
    long_cluster = CLUSTER_ARN.replace("cluster/demo", "cluster/" + "c" * 255)

    def names(stack: str) -> list[str]:
        def program() -> None:
            EcsTaskEventLogger("x" * 44, EcsTaskEventLoggerArgs(cluster_arns=[long_cluster], action_logs=True))

        made = run_under_mocks(program, stack=stack)
        return [r.outputs["name"] for r in (*made.of_type(SOURCE), *made.of_type(DESTINATION))]

    dev, prod = names("dev"), names("prod")
    for name in dev:
        operation = "PutDeliverySource" if name in dev[:1] else "PutDeliveryDestination"
        assert name_violations(operation, "name", name) == []
    assert not set(dev) & set(prod)


def test_one_destination_a_group_of_its_own_with_the_loggers_retention_and_a_delivery_per_source() -> None:
    deployment = deployed(clusterArns=[CLUSTER_ARN, BATCH_ARN], actionLogs="true", logRetentionDays="14")
    group = action_group(deployment)
    records = [g.outputs for g in deployment.of_type(LOG_GROUP) if g.outputs["name"] != group["name"]]
    assert group["retentionInDays"] == 14 == records[0]["retentionInDays"]
    destination = deployment.one(DESTINATION).outputs
    assert destination["deliveryDestinationConfiguration"] == {"destinationResourceArn": group["arn"]}
    assert name_violations("PutDeliveryDestination", "outputFormat", destination["outputFormat"]) == []
    assert name_violations("PutDeliveryDestination", "name", destination["name"]) == []
    pairs = {
        (d.outputs["deliverySourceName"], d.outputs["deliveryDestinationArn"]) for d in deployment.of_type(DELIVERY)
    }
    assert pairs == {(source.outputs["name"], destination["arn"]) for source in deployment.of_type(SOURCE)}
    assert deployment.outputs["actionLogGroupName"] == group["name"]


class DependencyMonitor(MockMonitor):
    """The mock monitor, keeping what each registration says it depends on (the engine orders creation by it)."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.urns: dict[str, str] = {}
        self.dependencies: dict[str, set[str]] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.urns[request.name] = response.urn
        self.dependencies[request.name] = set(request.dependencies)
        return response


def test_every_delivery_waits_for_the_groups_own_policy() -> None:
    """On a group without a policy, CloudWatch Logs writes one itself when a delivery starts ("Logs sent to
    CloudWatch Logs"): the stack's must exist first."""
    mocks = RecordingMocks()
    monitor = DependencyMonitor(mocks)
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def deployment() -> None:
        EcsTaskEventLogger("orders", EcsTaskEventLoggerArgs(cluster_arns=[CLUSTER_ARN, BATCH_ARN], action_logs=True))

    deployment()
    (policy,) = [r.name for r in mocks.of_type(POLICY)]
    deliveries = [r.name for r in mocks.of_type(DELIVERY)]
    assert len(deliveries) == 2
    for delivery in deliveries:
        assert monitor.urns[policy] in monitor.dependencies[delivery], delivery


def test_the_groups_policy_is_the_documented_statement_and_no_wider() -> None:
    deployment = deployed(actionLogs="true")
    group = action_group(deployment)
    policy = deployment.one(POLICY).outputs
    assert policy["resourceArn"] == group["arn"] and "policyName" not in policy  # the group's own, not the account's
    assert json.loads(policy["policyDocument"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSLogDeliveryWrite20150319",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group['name']}:log-stream:*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:*"},
                },
            }
        ],
    }


# "Logs sent to CloudWatch Logs" (CloudWatch Logs User Guide): "The log group's resource policy limit is 51,200
# bytes"; PutResourcePolicy's policyDocument is at most 51,200 long (botocore's logs model).
MAX_LOG_GROUP_POLICY_BYTES = 51_200


def test_the_groups_policy_is_one_statement_whatever_the_number_of_clusters() -> None:
    """Every cluster's delivery writes through the same statement: the policy does not grow towards the limit."""
    many = [CLUSTER_ARN.replace("cluster/demo", f"cluster/team-{index:02d}") for index in range(40)]
    policies = [
        deployed(clusterArns=clusters, actionLogs="true").one(POLICY).outputs["policyDocument"]
        for clusters in ([CLUSTER_ARN], many)
    ]
    few, lots = (json.loads(policy) for policy in policies)
    assert len(lots["Statement"]) == 1
    assert lots["Statement"][0]["Resource"].endswith(":log-stream:*")
    assert lots["Statement"][0] == {**few["Statement"][0], "Resource": lots["Statement"][0]["Resource"]}
    assert len(policies[1].encode()) == len(policies[0].encode()) < MAX_LOG_GROUP_POLICY_BYTES


def test_off_by_default_no_delivery_no_group_no_variable() -> None:
    plain = deployed()
    assert [r for r in plain.mocks.resources if r.type in (SOURCE, DESTINATION, DELIVERY, POLICY)] == []
    assert [g for g in plain.of_type(LOG_GROUP) if g.name.endswith("-action-logs")] == []
    assert action_logs.GROUP_ENV not in plain.one(FUNCTION).outputs["environment"]["variables"]
    assert "actionLogGroupName" not in plain.outputs


def test_the_function_learns_the_group_and_gains_no_permission() -> None:
    """A link is only a URL: the role's policies are those of the same stack without actionLogs."""
    plain, on = deployed(), deployed(actionLogs="true")
    variables = on.one(FUNCTION).outputs["environment"]["variables"]
    assert variables[action_logs.GROUP_ENV] == action_group(on)["name"]
    assert components.action_logs.GROUP_ENV == action_logs.GROUP_ENV

    def policies(deployment: Run) -> list[str]:
        return sorted(json.dumps(p.outputs["policy"], sort_keys=True) for p in deployment.of_type(ROLE_POLICY))

    assert policies(on) == policies(plain)


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        ({"allClusters": "true"}, "pulumi config set actionLogs false, or name the clusters"),
        (
            {"clusterArn": CLUSTER_ARN.replace(ACCOUNT, "444455556666")},
            "the clusters of account 444455556666 can only be opted in from that account",
        ),
    ],
    ids=["allClusters", "another account"],
)
def test_clusters_a_source_cannot_cover_are_refused_with_the_fix(config: dict[str, str], complaint: str) -> None:
    """A delivery source names one cluster of the account that creates it: not every cluster, not clusters created
    later, not another account's."""
    message = config_error(stack_config(actionLogs="true", **config))
    assert "ecs-task-events:actionLogs = 'true'" in message and complaint in message


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"all_clusters_prefix": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/"}, "give cluster_arns instead"),
        (
            {
                "member_organizational_unit_ids": ["r-ab12"],
                "member_regions": [REGION],
                "organization_id": "o-a1b2c3d4e5",
            },
            "use action_logs=False in organisation mode",
        ),
    ],
    ids=["all clusters", "organisation"],
)
def test_the_component_refuses_what_no_source_can_cover(overrides: dict[str, Any], complaint: str) -> None:
    clusters: dict[str, Any] = {} if "all_clusters_prefix" in overrides else {"cluster_arns": [CLUSTER_ARN]}
    with pytest.raises(ValueError, match=r"EcsTaskEventLoggerArgs\.action_logs") as raised:
        EcsTaskEventLoggerArgs(action_logs=True, **clusters, **overrides).validated()
    assert complaint in str(raised.value)


# ------------------------------------------------------------------------------------------------ the dashboard


def test_the_dashboard_shows_the_action_logs_of_the_registered_group() -> None:
    """One table more with actionLogs, on the group the destination writes to, reading Action Logs' own fields."""
    on, plain = deployed(actionLogs="true"), deployed()

    def log_widgets(deployment: Run) -> list[dict[str, Any]]:
        body = json.loads(deployment.one(DASHBOARD).outputs["dashboardBody"])
        return [w for w in body["widgets"] if w["type"] == "log"]

    extra = [w for w in log_widgets(on) if w not in log_widgets(plain)]
    assert len(log_widgets(on)) == len(log_widgets(plain)) + 1 == len(extra) + len(log_widgets(plain))
    (widget,) = extra
    target = on.one(DESTINATION).outputs["deliveryDestinationConfiguration"]["destinationResourceArn"]
    group = action_group(on)
    assert target == group["arn"]
    prefix = f"SOURCE '{group['name']}' | "
    query = widget["properties"]["query"]
    assert query.startswith(prefix) and widget["properties"]["region"] == REGION
    literal_free = re.sub(r'"[^"]*"', "", query[len(prefix) :])
    read = set(re.findall(r"(?<![@\w.])([A-Za-z_]\w*)(?:\.\w+)?", literal_free)) - COMMANDS
    assert read - {"in", "desc", "detail"} <= ACTION_LOG_FIELDS, read


# ------------------------------------------------------------------------------------------------ the link


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    with emulated_aws(REGION, ACCOUNT):
        yield Aws(monkeypatch)


GROUP = "/aws/vendedlogs/ecs/action-logs/ecs-task-events-0123456789abcdef0123456789"


def seconds(stamp: str) -> float:
    formats = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ")
    for layout in formats:
        try:
            return datetime.strptime(stamp, layout).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    raise ValueError(stamp)


def console_reads(query: str) -> re.Pattern[str]:
    """Each line starts with a command ('|' before all but the first); the filter is `actionSourceId like
    /regex/`, `limit` 1 to 10,000 ("Query syntax"); returns the regex as Logs Insights reads it."""
    lines = query.split("\n")
    assert lines[0].startswith("fields ") and all(line.startswith("| ") for line in lines[1:]), query
    assert {line.removeprefix("| ").partition(" ")[0] for line in lines} <= COMMANDS, query
    limit = re.search(r"\| limit (\d+)$", query)
    assert limit is not None and 1 <= int(limit[1]) <= 10_000
    matched = re.search(r"\| filter actionSourceId like /(.+)/\n", query)
    assert matched is not None, query
    return re.compile(matched[1].replace("\\/", "/"))


def test_a_failed_deployment_links_the_services_action_logs_around_it(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the group's region, from an hour before the event to a quarter after, on a query that keeps this
    service's streams in both of actionSourceId's forms and no other service's."""
    monkeypatch.setenv(action_logs.GROUP_ENV, GROUP)
    event = load_event("deployment_state_change")
    run(event)
    (message,) = aws.messages()
    url = body_lines(message)[LINK]
    assert url.startswith(f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#logsV2:")
    detail = insights_detail(url)
    assert detail["source"] == [GROUP]
    assert (detail["timeType"], detail["tz"], detail["isLiveTail"]) == ("ABSOLUTE", "UTC", False)
    assert seconds(detail["start"]) == seconds(event["time"]) - 3600
    assert seconds(detail["end"]) == seconds(event["time"]) + 900
    pattern = console_reads(detail["editorString"])
    streams = {
        "service/demo/orders-api": True,
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/demo/orders-api": True,
        "service/demo/orders-api-canary": False,
        "service/batch/orders-api": False,
        "service/demo/orders": False,
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:daemon/demo/orders-api": False,
    }
    assert {stream: bool(pattern.search(stream)) for stream in streams} == streams


def test_a_placement_failure_links_them_and_other_service_actions_do_not(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    called = aws.record_services()
    monkeypatch.setenv(action_logs.GROUP_ENV, GROUP)
    run(load_event("service_task_placement_failure"))
    (placement,) = aws.messages()
    assert insights_detail(body_lines(placement)[LINK])["source"] == [GROUP]
    assert set(called) == {"dynamodb", "sns"}  # only a URL: nothing of CloudWatch Logs
    aws.now += 11 * 60
    run(load_event("service_action"))  # SERVICE_TASK_START_IMPAIRED: its cause is in the task's events
    (impaired,) = aws.messages()
    assert LINK not in body_lines(impaired)


def test_without_the_setting_there_is_no_link(aws: Aws) -> None:
    run(load_event("deployment_state_change"))
    (message,) = aws.messages()
    assert LINK not in body_lines(message) and "Service events in Logs Insights" in body_lines(message)


def test_an_odd_service_name_cannot_widen_the_query() -> None:
    """A name with regex characters (no real ECS name has them) matches only itself."""
    pattern = console_reads(action_logs.service_query("demo", "a.b/c"))
    assert pattern.search("service/demo/a.b/c")
    assert not pattern.search("service/demo/aXb/c")


# ------------------------------------------------------------------------------------------------ the test bed


@pytest.fixture
def emulator() -> Iterator[None]:
    with emulated_aws(REGION, ACCOUNT):
        yield


def rehearsed(**config: Any) -> Rehearsal:
    rehearsal = Rehearsal(deployed(**config), REGION)
    rehearsal.rehearse()
    return rehearsal


@pytest.mark.usefixtures("emulator")
def test_the_rehearsal_creates_the_destination_and_says_what_it_only_checked() -> None:
    rehearsal = rehearsed(clusterArns=[CLUSTER_ARN, BATCH_ARN], actionLogs="true")
    checked = {r.name for r in rehearsal.run.mocks.resources if r.type in (SOURCE, DELIVERY, POLICY)}
    assert len(checked) == 5 and checked <= set(rehearsal.not_emulated)
    assert all(name in rehearsal.created for name in checked)
    (stored,) = boto3.client("logs", region_name=REGION).describe_delivery_destinations()["deliveryDestinations"]
    group = boto3.client("logs", region_name=REGION).describe_log_groups(
        logGroupNamePrefix=components.action_logs.GROUP_PREFIX
    )["logGroups"]
    assert stored["deliveryDestinationConfiguration"]["destinationResourceArn"] == group[0]["arn"].removesuffix(":*")


@pytest.mark.usefixtures("emulator")
def test_the_test_bed_refuses_a_log_type_the_api_does_not_document_for_ecs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ECS guide's CLI example's EcsActionLogs is not a value the API Reference gives: refused."""
    monkeypatch.setattr(components.action_logs, "LOG_TYPE", "EcsActionLogs")
    with pytest.raises(AssertionError, match="logType 'EcsActionLogs' for an ECS cluster"):
        rehearsed(actionLogs="true")


@pytest.mark.usefixtures("emulator")
def test_the_test_bed_refuses_a_group_policy_putresourcepolicy_does_not_take(monkeypatch: pytest.MonkeyPatch) -> None:
    real = components.action_logs.vended_logs_write_policy

    def wider(arn: str) -> str:
        document = json.loads(real(arn))
        document["Statement"][0]["Action"].append("logs:DeleteLogGroup")
        return json.dumps(document)

    monkeypatch.setattr(components.action_logs, "vended_logs_write_policy", wider)
    with pytest.raises(AssertionError, match="it takes only"):
        rehearsed(actionLogs="true")


def test_the_test_bed_reads_the_log_types_from_the_model() -> None:
    assert documented_log_types("Amazon ECS") == ("ACTION_LOGS",)
    assert "S3_SERVER_ACCESS_LOGS" in documented_log_types("Amazon S3")
    assert documented_log_types("No Such Service") == ()


@pytest.mark.parametrize(
    "fields",
    [
        {"eventTime": 12345},
        {"eventTime": "yesterday"},
        {"serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/orders-api", "clusterArn": None},
        {"serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/orders-api"},
    ],
    ids=["time a number", "time unreadable", "short ARN, no cluster", "short ARN"],
)
def test_an_odd_record_still_gets_its_message_and_a_link(fields: dict[str, Any]) -> None:
    """The message never fails on the event's shape: without a time the link opens on the last day."""
    record = {
        "detailType": "ECS Deployment State Change",
        "eventName": "SERVICE_DEPLOYMENT_FAILED",
        "eventType": "ERROR",
        "serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/demo/orders-api",
        "clusterArn": CLUSTER_ARN,
        "eventTime": "2024-05-14T09:20:00Z",
        **fields,
    }
    notice = notify.build_notice(record, {"detail": {}}, None, None, GROUP)
    assert notice is not None
    (url,) = [url for label, url in notice.links if label == LINK]
    detail = insights_detail(url)
    assert detail["source"] == [GROUP]
    if not isinstance(fields.get("eventTime", "2024"), str) or fields.get("eventTime") == "yesterday":
        assert (detail["timeType"], detail["start"]) == ("RELATIVE", -86400)
    service = console_reads(detail["editorString"])
    assert service.search("service/demo/orders-api")
