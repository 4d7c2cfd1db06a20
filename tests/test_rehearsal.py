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
from rehearse import api_model
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


# The test bed as strict as AWS: every constraint of the API model, and each service's Regions.

CHATBOT_CALL = {
    "SlackTeamId": "T07EA123LEP",
    "SlackChannelId": "C07EZ1ABC23",
    "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/chat",
    "ConfigurationName": "dev-ecs-task-events-eu-west-1-0a1b2c3d",
    "LoggingLevel": "ERROR",
}


def strict_client(service: str, region: str = REGION) -> Any:
    """A client of the rehearsal's own making: the one every rehearsed call goes through."""
    rehearsal = Rehearsal(run_program(stack_config(clusterArn=CLUSTER_ARN)), region)
    return rehearsal.client(service)


def refusal(service: str, operation: str, params: dict[str, Any]) -> str:
    model = boto3.client(service, region_name="us-east-2").meta.service_model.operation_model(operation)
    with pytest.raises(api_model.ModelViolation) as raised:
        api_model.check_call(model, params)
    return str(raised.value)


def test_every_constraint_of_the_model_is_enforced_not_only_the_shape() -> None:
    """Chat API Reference, CreateSlackChannelConfiguration: ConfigurationName [A-Za-z0-9-_]+, 1 to 128
    characters. Lambda API Reference, CreateFunction: Runtime one of the listed runtimes; MemorySize
    at most 32768 in the model (10240 in Lambda's quotas, which validation.py checks).
    botocore's validate_parameters accepts every one of these; AWS refuses them."""
    from botocore.validate import validate_parameters  # noqa: PLC0415

    chatbot = boto3.client("chatbot", region_name="us-east-2").meta.service_model
    create = chatbot.operation_model("CreateSlackChannelConfiguration")
    api_model.check_call(create, CHATBOT_CALL)  # a good call passes
    bad = {
        "a dot": ({"ConfigurationName": "dev.eu-ecs-task-events"}, "does not match the pattern [A-Za-z0-9-_]+"),
        "too long": ({"ConfigurationName": "n" * 129}, "129 characters, more than the maximum 128"),
    }
    for case, (change, complaint) in bad.items():
        params = {**CHATBOT_CALL, **change}
        validate_parameters(params, create.input_shape)  # botocore's own check lets it through
        message = refusal("chatbot", "CreateSlackChannelConfiguration", params)
        assert complaint in message and "CreateSlackChannelConfiguration" in message, case
    lambda_call: dict[str, Any] = {
        "FunctionName": "f",
        "Role": f"arn:aws:iam::{ACCOUNT}:role/r",
        "Code": {"ZipFile": b"x"},
    }
    create_function = boto3.client("lambda", region_name="us-east-2").meta.service_model
    changes: list[tuple[dict[str, Any], str]] = [
        ({"MemorySize": 40960}, "MemorySize = 40960: above the maximum 32768"),
        ({"Runtime": "python2.9"}, "Runtime = 'python2.9': not one of nodejs"),
    ]
    for change, complaint in changes:
        function_params = {**lambda_call, **change}
        validate_parameters(function_params, create_function.operation_model("CreateFunction").input_shape)
        assert complaint in refusal("lambda", "CreateFunction", function_params)


@pytest.mark.usefixtures("emulator")
def test_calls_moto_executes_are_checked_first() -> None:
    """moto stores a rule description of 513 characters, an alarm statistic that is not one, and an alarm
    description of 1,025 characters; AWS refuses them (EventBridge PutRule: Description at most 512; CloudWatch
    PutMetricAlarm: Statistic SampleCount, Average, Sum, Minimum or Maximum, AlarmDescription at most 1024)."""
    pattern = '{"source": ["aws.ecs"]}'
    alarm = {
        "Namespace": "EcsTaskEvents",
        "MetricName": "AbnormalStops",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    boto3.client("events").put_rule(Name="loose", Description="d" * 513, EventPattern=pattern)  # moto accepts
    boto3.client("cloudwatch").put_metric_alarm(AlarmName="loose", Statistic="Total", **alarm)  # these
    events, cloudwatch = strict_client("events"), strict_client("cloudwatch")
    with pytest.raises(api_model.ModelViolation, match=r"Description: 513 characters, more than the maximum 512"):
        events.put_rule(Name="strict", Description="d" * 513, EventPattern=pattern)
    with pytest.raises(api_model.ModelViolation, match=r"Name = 'a rule': does not match the pattern"):
        events.put_rule(Name="a rule", EventPattern=pattern)
    with pytest.raises(api_model.ModelViolation, match=r"Statistic = 'Total': not one of SampleCount, Average"):
        cloudwatch.put_metric_alarm(AlarmName="strict", Statistic="Total", **alarm)
    with pytest.raises(api_model.ModelViolation, match=r"AlarmDescription: 1025 characters, more than the maximum"):
        cloudwatch.put_metric_alarm(AlarmName="strict", Statistic="Sum", AlarmDescription="d" * 1025, **alarm)
    events.put_rule(Name="strict", Description="d" * 512, EventPattern=pattern)
    cloudwatch.put_metric_alarm(AlarmName="strict", Statistic="Sum", **alarm)


@pytest.mark.usefixtures("emulator")
def test_break_a_dotted_channel_name_is_refused_by_the_rehearsal(monkeypatch: pytest.MonkeyPatch) -> None:
    import components.notifications  # noqa: PLC0415

    monkeypatch.setattr(components.notifications, "channel_configuration_name", lambda *_: "dev.eu-ecs-task-events")
    with pytest.raises(AssertionError, match=r"ConfigurationName = 'dev.eu-ecs-task-events': does not match"):
        rehearse(slackWorkspaceId="T07EA123LEP", slackChannelId="C07EZ1ABC23")


def test_every_pattern_of_the_models_the_rehearsal_uses_compiles_in_pythons_re() -> None:
    """botocore's models carry some patterns in Java's dialect (\\p{L}, \\p{Print}, [\\w-_], surrogate pairs); each
    must compile, without a warning, once translated, and mean what Java means."""
    import warnings  # noqa: PLC0415

    session = boto3.session.Session().get_available_services()
    services = ("logs", "iam", "sqs", "lambda", "events", "sns", "cloudwatch", "dynamodb", "chatbot")
    assert set(services) <= set(session)
    count = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for service in services:
            model = boto3.client(service, region_name="us-east-2").meta.service_model
            for name in model.shape_names:
                pattern = model.shape_for(name).metadata.get("pattern")
                if pattern is not None:
                    api_model.compiled(pattern)
                    count += 1
    assert count > 300
    tag = api_model.compiled(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+")
    assert tag.fullmatch("Équipe plateforme:1") and not tag.fullmatch("a$b")
    assert api_model.compiled(r"\p{Print}+").fullmatch("any ASCII ~") and not api_model.compiled(
        r"\p{Print}+"
    ).fullmatch("tab\there")
    assert api_model.compiled(r"[\w-_]*").fullmatch("a-b_c")
    surrogates = api_model.compiled(r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF]*")
    assert surrogates.fullmatch("emoji \U0001f6a8 ok") and not surrogates.fullmatch("bell \x07")


def test_a_service_is_refused_in_a_region_without_its_endpoint() -> None:
    """The chat API: us-east-2, us-west-2, eu-west-1, ap-southeast-1 (AWS General Reference, "Amazon Q Developer in
    chat applications endpoints and quotas"; botocore's endpoint data does not list it). The others: botocore's
    endpoints.json. IAM is global."""
    assert "chatbot has no endpoint in us-east-1" in (api_model.region_problem("chatbot", "us-east-1") or "")
    assert api_model.region_problem("chatbot", "eu-west-1") is None
    assert api_model.region_problem("events", "us-east-1") is None
    assert api_model.region_problem("iam", "ap-south-2") is None
    assert "sns has no endpoint in eu-nowhere-9" in (api_model.region_problem("sns", "eu-nowhere-9") or "")
    with emulated_aws("us-east-1", ACCOUNT), pytest.raises(api_model.ModelViolation, match="us-east-1"):
        strict_client("chatbot", "us-east-1")


ORGANIZATION: dict[str, StackValue] = {
    "allClusters": "true",
    "memberOrganizationalUnitIds": ["r-ab12"],
    "memberRegions": [REGION, "us-east-1"],
    "organizationId": "o-a1b2c3d4e5",
}


@pytest.mark.usefixtures("emulator")
def test_the_relay_mapping_is_checked_not_created_and_says_so() -> None:
    rehearsal = rehearse(**ORGANIZATION)
    (mapping,) = rehearsal.run.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert "the role's policies" in rehearsal.not_emulated[mapping.name]
    assert boto3.client("lambda").list_event_source_mappings()["EventSourceMappings"] == []


@pytest.mark.usefixtures("emulator")
@pytest.mark.parametrize(
    ("attribute", "broken", "complaint"),
    [
        ("relay_queue_read_policy", "no DeleteMessage", "may not sqs:DeleteMessage on"),
        ("VISIBILITY_TIMEOUT_FACTOR", 0, "visibility timeout 0 s is less than the function's timeout"),
    ],
)
def test_break_the_relay_mapping_is_refused_as_lambda_would(
    monkeypatch: pytest.MonkeyPatch, attribute: str, broken: Any, complaint: str
) -> None:
    """CreateEventSourceMapping refuses a role that cannot receive, delete and read the queue's attributes, and a
    queue whose visibility timeout is under the function's timeout ("Using Lambda with Amazon SQS"); moto would
    accept both, so the rehearsal checks them against what moto holds."""
    import components.organization  # noqa: PLC0415

    if broken == "no DeleteMessage":
        real = components.organization.relay_queue_read_policy

        def without_delete(queue_arn: str) -> str:
            document = json.loads(real(queue_arn))
            document["Statement"][0]["Action"].remove("sqs:DeleteMessage")
            return json.dumps(document)

        broken = without_delete
    monkeypatch.setattr(components.organization, attribute, broken)
    with pytest.raises(AssertionError, match=f"AWS refused aws:lambda/eventSourceMapping.*{complaint}"):
        rehearse(**ORGANIZATION)
