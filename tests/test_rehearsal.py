"""The program's resources, created for real in moto's emulated AWS: AWS would accept them, and they work."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import boto3
import pytest
from arn_like import admits
from handler_capture import load_event, sample_names

import components.event_logger
import components.iam_policies
import components.validation
from policy.validators import POLICIES
from rehearse.aws import Rehearsal, function_zip, policy_statements, rule_matches
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, run_program, stack_config
from rehearse.play import emulated_aws
from rehearse.pulumi_cli import StackValue

FUNCTION = "aws:lambda/function:Function"
RULE = "aws:cloudwatch/eventRule:EventRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
QUERY = "aws:cloudwatch/queryDefinition:QueryDefinition"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


@pytest.fixture
def emulator() -> Iterator[None]:
    """moto in this process, as the stack's account and region, with fake credentials (no real AWS call)."""
    with emulated_aws(REGION, ACCOUNT):
        yield


def rehearse(**config: StackValue) -> Rehearsal:
    clusters = {} if "allClusters" in config or "clusterArns" in config else {"clusterArn": CLUSTER_ARN}
    deployed = run_program(stack_config(alertEmail="oncall@example.com", **clusters, **config))
    rehearsal = Rehearsal(deployed, REGION)
    rehearsal.rehearse()
    return rehearsal


def physical(rehearsal: Rehearsal, typ: str) -> dict[str, Any]:
    return rehearsal.run.one(typ).outputs


def invoke_from_archive(code: bytes, handler_path: str, event: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Import the handler the way Lambda does (module path from the Handler setting) and call it."""
    with zipfile.ZipFile(BytesIO(code)) as archive:
        archive.extractall(directory)
    module, _, function = handler_path.rpartition(".")
    script = (
        "import importlib, json, sys\n"
        f"sys.path.insert(0, {str(directory)!r})  # Lambda puts the archive's root, /var/task, on the path\n"
        f"handler = getattr(importlib.import_module({module!r}), {function!r})\n"
        "print(json.dumps(handler(json.load(sys.stdin), None)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", script],
        cwd=directory,
        input=json.dumps(event),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"handler {handler_path!r} does not run from the function's archive:\n{result.stderr}")
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.usefixtures("emulator")
def test_aws_accepts_every_resource() -> None:
    rehearsal = rehearse()
    expected = [r.name for r in rehearsal.run.mocks.resources if r.type.startswith("aws:")]
    assert rehearsal.created == expected
    assert len(expected) > 25
    # Said, not faked: moto has no Logs Insights query definitions; those calls are model-checked only.
    queries = {r.name for r in rehearsal.run.of_type(QUERY)}
    assert set(rehearsal.not_emulated) == queries
    assert all("moto does not implement" in why for why in rehearsal.not_emulated.values())
    # The dashboard is stored as registered: moto refuses a body that is not JSON, but checks no widget.
    registered = physical(rehearsal, DASHBOARD)
    stored = boto3.client("cloudwatch").get_dashboard(DashboardName=registered["dashboardName"])
    assert stored["DashboardBody"] == registered["dashboardBody"]
    assert json.loads(stored["DashboardBody"])["widgets"]


@pytest.mark.usefixtures("emulator")
def test_function_policy_allows_exactly_this_rule() -> None:
    """Scoped by the rule's ARN alone: no SourceAccount condition.

    AWS: EventBridge User Guide, "Troubleshooting Amazon EventBridge", "My rule ran but my Lambda
    function wasn't invoked" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html):
    a SourceAccount in the function's resource-based policy keeps EventBridge from invoking it.
    Moto stores the condition and accepts it, so only this assertion stands between the code and that.
    """
    rehearsal = rehearse()
    rule_arn = boto3.client("events").describe_rule(Name=physical(rehearsal, RULE)["name"])["Arn"]
    (statement,) = policy_statements(boto3.client("lambda"), physical(rehearsal, FUNCTION)["name"])
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Condition"].keys() == {"ArnLike"}
    assert admits(statement["Condition"]["ArnLike"]["AWS:SourceArn"], rule_arn)
    assert "SourceAccount" not in json.dumps(statement)


@pytest.mark.usefixtures("emulator")
def test_rule_pattern_takes_this_clusters_task_events_only() -> None:
    rehearsal = rehearse()
    rule = physical(rehearsal, RULE)["name"]

    def accepted(event: dict[str, Any]) -> bool:
        return rule_matches(rule, event, ACCOUNT, REGION)

    task_samples = [load_event(name) for name in sample_names() if name.startswith("task_")]
    assert task_samples and all(accepted(event) for event in task_samples)
    for event in task_samples[:3]:
        elsewhere = json.loads(json.dumps(event).replace("cluster/demo", "cluster/other"))
        assert not accepted(elsewhere)
        other_account = json.loads(json.dumps(event).replace(ACCOUNT, "444455556666"))
        assert not accepted(other_account)
    assert not accepted(load_event("container_instance_state_change"))
    # Service actions and deployments of this cluster are taken too (serviceEvents): tests/test_service_events.py.


@pytest.mark.usefixtures("emulator")
def test_all_clusters_rule_takes_every_cluster_of_this_account_and_region() -> None:
    rehearsal = rehearse(allClusters="true")
    (rule,) = rehearsal.run.of_type(RULE)
    event = load_event("task_stopped_oom")

    def with_cluster(arn: str) -> dict[str, Any]:
        return json.loads(json.dumps(event).replace(CLUSTER_ARN, arn))

    assert rule_matches(rule.outputs["name"], event, ACCOUNT, REGION)
    assert rule_matches(rule.outputs["name"], with_cluster(CLUSTER_ARN.replace("demo", "brand-new")), ACCOUNT, REGION)
    assert not rule_matches(
        rule.outputs["name"], with_cluster(CLUSTER_ARN.replace(ACCOUNT, "444455556666")), ACCOUNT, REGION
    )
    assert not rule_matches(
        rule.outputs["name"], with_cluster(CLUSTER_ARN.replace(REGION, "eu-west-2")), ACCOUNT, REGION
    )


@pytest.mark.usefixtures("emulator")
def test_a_split_fleet_is_accepted_and_routes_each_cluster_to_one_rule() -> None:
    arns = [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/team-{i:03d}-payments-production-fargate" for i in range(80)]
    rehearsal = rehearse(clusterArns=arns)
    rules = [rule.outputs["name"] for rule in rehearsal.run.of_type(RULE)]
    assert len(rules) >= 2
    event = load_event("task_running")
    for arn in arns[:: len(arns) // 8]:
        routed = [
            rule
            for rule in rules
            if rule_matches(rule, json.loads(json.dumps(event).replace(CLUSTER_ARN, arn)), ACCOUNT, REGION)
        ]
        assert len(routed) == 1, (arn, routed)
    statements = policy_statements(boto3.client("lambda"), physical(rehearsal, FUNCTION)["name"])
    rule_arns = {boto3.client("events").describe_rule(Name=rule)["Arn"] for rule in rules}
    (statement,) = statements  # one permission, however many rules
    assert all(admits(statement["Condition"]["ArnLike"]["AWS:SourceArn"], arn) for arn in rule_arns)
    assert statement["Condition"].keys() == {"ArnLike"}
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}


@pytest.mark.usefixtures("emulator")
def test_the_function_aws_got_runs_the_handler(tmp_path: Path) -> None:
    rehearsal = rehearse()
    name = physical(rehearsal, FUNCTION)["name"]
    configuration = boto3.client("lambda").get_function(FunctionName=name)["Configuration"]
    assert configuration["Runtime"] == "python3.13"
    assert configuration["Architectures"] == ["arm64"]
    # Said, not faked: moto accepts LoggingConfig (boto3 checked it against the API model) but does not
    # store or return it, so the JSON log format is asserted by the mocked tests only.
    assert "LoggingConfig" not in configuration
    code = function_zip(name, ACCOUNT, REGION)
    names = zipfile.ZipFile(BytesIO(code)).namelist()
    assert "handler/app.py" in names
    assert not any("__pycache__" in entry or entry.startswith("tests/") for entry in names)
    returned = invoke_from_archive(code, configuration["Handler"], load_event("task_stopped_oom"), tmp_path)
    assert (returned["level"], returned["abnormal"]) == ("ERROR", True)


@pytest.mark.usefixtures("emulator")
def test_role_policy_in_aws_names_the_emulators_log_group_and_queue() -> None:
    rehearsal = rehearse()
    iam, logs = boto3.client("iam"), boto3.client("logs")
    role = physical(rehearsal, "aws:iam/role:Role")["name"]
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert len(names) == 2 and any("-notify-" in name for name in names)  # the notifications' own policy
    (policy_name,) = [name for name in names if "-write-logs-" in name]
    document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    (group,) = logs.describe_log_groups(logGroupNamePrefix=physical(rehearsal, LOG_GROUP)["name"])["logGroups"]
    assert document["Statement"][0]["Resource"] == [group["arn"].removesuffix(":*"), group["arn"]]
    assert group["retentionInDays"] == 30


# Deliberate breaks: each must fail a test with a message that names the problem.


@pytest.mark.usefixtures("emulator")
def test_break_an_invalid_event_pattern_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(components.event_logger, "split_patterns", lambda arns, *_: {0: '{"source": "aws.ecs"}'})
    with pytest.raises(AssertionError, match=r"AWS refused aws:cloudwatch/eventRule.*(?i:event ?pattern)"):
        rehearse()


@pytest.mark.usefixtures("emulator")
def test_break_a_wrong_handler_path_does_not_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(components.event_logger, "ENTRY_POINT", "app.handler")
    rehearsal = rehearse()
    name = physical(rehearsal, FUNCTION)["name"]
    handler_path = boto3.client("lambda").get_function(FunctionName=name)["Configuration"]["Handler"]
    with pytest.raises(AssertionError, match=r"(?s)handler 'app.handler' does not run.*No module named 'app'"):
        invoke_from_archive(function_zip(name, ACCOUNT, REGION), handler_path, load_event("task_running"), tmp_path)


def program_violations(**config: str) -> list[str]:
    deployed = run_program(stack_config(clusterArn=CLUSTER_ARN, **config))
    return [
        f"{spec.name}: {resource.name}: {violation}"
        for resource in deployed.mocks.resources
        for spec in POLICIES
        for violation in spec.check(resource.type, resource.inputs)
    ]


def test_break_a_star_resource_is_caught_by_the_policy_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    def too_broad(log_group_arn: str, queue_arn: str | None = None) -> str:
        statement = {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    monkeypatch.setattr(components.event_logger, "function_policy", too_broad)
    (violation,) = program_violations()
    assert violation.startswith("iam-no-wildcards: ecs-task-events-write-logs:")
    assert "wildcard resource '*'" in violation


@pytest.mark.usefixtures("emulator")
def test_break_a_retention_of_8_days_is_caught_by_the_policy_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(components.validation, "RETENTION_DAYS", (8, 30))  # as if someone "fixed" the list
    (violation,) = program_violations(logRetentionDays="8")
    assert violation.startswith("log-group-retention: ecs-task-events-logs:")
    assert "retention_in_days 8 is not one CloudWatch Logs accepts" in violation
    # Said, not faked: moto stores any retention, so the rehearsal alone would not notice.
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="probe")
    logs.put_retention_policy(logGroupName="probe", retentionInDays=8)
    assert logs.describe_log_groups(logGroupNamePrefix="probe")["logGroups"][0]["retentionInDays"] == 8
