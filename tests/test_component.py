"""The EcsTaskEventLogger component, built directly under Pulumi's mocks."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pulumi
import pytest
from arn_like import admits
from event_matching import matches

from components import EcsTaskEventLogger, EcsTaskEventLoggerArgs
from components.event_pattern import pattern_cluster_arns, service_arn_prefix
from components.lambda_package import HANDLER_DIR, handler_files, handler_zip
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, RecordingMocks, Run, run

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FUNCTION = "aws:lambda/function:Function"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
PERMISSION = "aws:lambda/permission:Permission"
COMPONENT = "ecs-task-events:index:EcsTaskEventLogger"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
OUTPUT_NAMES = {
    "function_name",
    "function_arn",
    "log_group_name",
    "rule_name",
    "rule_arn",
    "role_arn",
    "event_pattern",
    "tail_logs_command",
    "dead_letter_queue_url",
    "failed_events_queue_url",
    "alarm_topic_arn",
    "alarm_names",
    "query_names",
}
OPTIONAL_OUTPUTS = {"dead_letter_queue_url", "failed_events_queue_url", "alarm_topic_arn", "alarm_names", "query_names"}


def build(name: str = "orders", mocks: RecordingMocks | None = None, **overrides: Any) -> Run:
    def program() -> dict[str, Any]:
        args = EcsTaskEventLoggerArgs(cluster_arns=overrides.pop("cluster_arns", [CLUSTER_ARN]), **overrides)
        logger = EcsTaskEventLogger(name, args)
        values = {output: getattr(logger, output) for output in OUTPUT_NAMES}
        return {output: value for output, value in values.items() if value is not None}

    return run(program, mocks=mocks)


@pytest.fixture(scope="module")
def deployed() -> Run:
    return build()


def queue(run: Run, role: str) -> dict[str, Any]:
    """The outputs of the queue named '<component>-<role>' ('undelivered' or 'failed')."""
    (found,) = [q for q in run.of_type(QUEUE) if q.name.endswith(f"-{role}")]
    return found.outputs


def task_event(cluster_arn: str, detail_type: str = "ECS Task State Change", source: str = "aws.ecs") -> dict:
    return {
        "source": source,
        "detail-type": detail_type,
        "detail": {"clusterArn": cluster_arn, "lastStatus": "RUNNING"},
    }


def test_pattern_matches_the_configured_cluster_and_nothing_else() -> None:
    tasks_only = build(service_events=False)
    pattern = json.loads(tasks_only.one(RULE).inputs["eventPattern"])
    assert pattern == {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {"clusterArn": [CLUSTER_ARN]},
    }
    assert matches(pattern, task_event(CLUSTER_ARN))
    assert not matches(pattern, task_event(CLUSTER_ARN.replace("/demo", "/other")))
    assert not matches(pattern, task_event(CLUSTER_ARN.replace(ACCOUNT, "444455556666")))
    assert not matches(pattern, task_event(CLUSTER_ARN, detail_type="ECS Service Action"))
    assert not matches(pattern, task_event(CLUSTER_ARN, source="custom.ecs"))
    assert tasks_only.outputs["event_pattern"] == tasks_only.one(RULE).inputs["eventPattern"]


def test_pattern_with_service_events_filters_deployments_on_the_service_arn(deployed: Run) -> None:
    """By default (serviceEvents) the rule also takes the cluster's service actions, by detail.clusterArn, and its
    deployment state changes, whose detail has no clusterArn, by the service ARN in resources ("Amazon ECS service
    deployment state change events", docs.aws.amazon.com/AmazonECS/latest/developerguide/
    ecs_service_deployment_events.html). Matching itself is moto's, in tests/test_service_events.py."""
    pattern = json.loads(deployed.one(RULE).inputs["eventPattern"])
    assert pattern == {
        "source": ["aws.ecs"],
        "$or": [
            {"detail-type": ["ECS Task State Change", "ECS Service Action"], "detail": {"clusterArn": [CLUSTER_ARN]}},
            {
                "detail-type": ["ECS Deployment State Change"],
                "resources": [{"prefix": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/demo/"}],
            },
        ],
    }
    assert deployed.outputs["event_pattern"] == deployed.one(RULE).inputs["eventPattern"]


def test_rule_is_enabled_on_the_default_bus(deployed: Run) -> None:
    rule = deployed.one(RULE).inputs
    assert rule["state"] == "ENABLED"
    assert "isEnabled" not in rule  # deprecated in pulumi-aws 7
    assert rule.get("eventBusName") in (None, "default")


def test_target_delivers_this_rule_to_this_function(deployed: Run) -> None:
    target = deployed.one(TARGET).inputs
    function = deployed.one(FUNCTION).outputs
    assert target["arn"] == function["arn"]
    assert target["rule"] == deployed.one(RULE).outputs["name"]


def test_only_this_rule_may_invoke(deployed: Run) -> None:
    """The logger's rule ARN pattern (which names the account and region) scopes the permission, and nothing else.

    AWS: EventBridge User Guide, "Troubleshooting Amazon EventBridge", "My rule ran but my Lambda function
    wasn't invoked": a SourceAccount condition in the function's policy stops EventBridge from invoking it. The
    pattern's reading: tests/arn_like.py; what else it must refuse: tests/test_many_clusters.py.
    """
    permission = deployed.one(PERMISSION).inputs
    rule_arn = deployed.one(RULE).outputs["arn"]
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["function"] == deployed.one(FUNCTION).outputs["name"]
    assert admits(permission["sourceArn"], rule_arn)
    assert not admits(permission["sourceArn"], rule_arn.replace(ACCOUNT, "444455556666"))
    assert rule_arn.split(":")[4] == ACCOUNT
    assert "sourceAccount" not in permission


def test_only_lambda_may_assume_the_role(deployed: Run) -> None:
    trust = json.loads(deployed.one(ROLE).inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert "managedPolicyArns" not in deployed.one(ROLE).inputs
    assert "inlinePolicies" not in deployed.one(ROLE).inputs


def test_role_may_write_only_to_its_own_log_group_and_failed_events_queue(deployed: Run) -> None:
    (attached,) = [p.inputs for p in deployed.of_type(ROLE_POLICY) if p.name.endswith("-write-logs")]
    assert attached["role"] == deployed.one(ROLE).outputs["name"]  # a role's id is its name
    policy = json.loads(attached["policy"])
    group_arn = deployed.one(LOG_GROUP).outputs["arn"]
    failed_queue = queue(deployed, "failed")
    logs, sqs = policy["Statement"]
    assert logs["Effect"] == sqs["Effect"] == "Allow"
    assert sorted(logs["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == [group_arn, f"{group_arn}:*"]
    assert sqs["Action"] == "sqs:SendMessage"
    assert sqs["Resource"] == failed_queue["arn"]
    for resource in [*logs["Resource"], sqs["Resource"]]:
        assert "*" not in resource.removesuffix(":*")


def test_without_dead_letter_queues_the_role_only_writes_logs() -> None:
    plain = build(dead_letter_queues=False, alarms=False, saved_queries=False)
    (statement,) = json.loads(plain.one(ROLE_POLICY).inputs["policy"])["Statement"]
    assert statement["Sid"] == "WriteOwnLogGroup"
    assert plain.of_type(QUEUE) == []
    target = plain.one(TARGET).inputs
    assert "deadLetterConfig" not in target
    assert "destinationConfig" not in plain.one(INVOKE_CONFIG).inputs
    assert set(plain.outputs) == OUTPUT_NAMES - OPTIONAL_OUTPUTS


def test_function_settings_and_logging(deployed: Run) -> None:
    function = deployed.one(FUNCTION).inputs
    group = deployed.one(LOG_GROUP).outputs
    assert function["runtime"] == "python3.13"
    assert function["handler"] == "handler.app.handler"
    assert function["architectures"] == ["arm64"]
    assert function["memorySize"] == 128
    assert 1 <= function["timeout"] <= 10
    assert function["role"] == deployed.one(ROLE).outputs["arn"]
    assert function["loggingConfig"] == {
        "logFormat": "JSON",
        "logGroup": group["name"],
        "applicationLogLevel": "INFO",
        "systemLogLevel": "WARN",
    }


def test_log_group_keeps_logs_thirty_days_by_default(deployed: Run) -> None:
    assert deployed.one(LOG_GROUP).inputs["retentionInDays"] == 30


def test_archive_holds_the_handler_package_only(deployed: Run) -> None:
    code = deployed.one(FUNCTION).inputs["code"]
    assert isinstance(code, pulumi.AssetArchive)
    expected = {f"handler/{path.name}" for path in HANDLER_DIR.glob("*.py")} - {"handler/__main__.py"}
    assert set(code.assets) == expected
    assert "handler/app.py" in expected and (HANDLER_DIR / "__main__.py").exists()
    for name, asset in code.assets.items():
        assert isinstance(asset, pulumi.FileAsset)
        assert Path(asset.path) == HANDLER_DIR / name.split("/", 1)[1]


def test_archive_leaves_out_bytecode_and_stray_files(tmp_path: Path) -> None:
    package = tmp_path / "handler"
    package.mkdir()
    (package / "app.py").write_text("def handler(event, context):\n    return 'ok'\n")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "app.cpython-313.pyc").write_bytes(b"\x00")
    (package / "notes.txt").write_text("scratch")
    (package / "__main__.py").write_text("print('a local preview')\n")
    (package / "tests").mkdir()
    (package / "tests" / "test_app.py").write_text("")
    assert list(handler_files(package)) == ["handler/app.py"]


def test_zip_is_reproducible_and_runs_from_a_fresh_directory(tmp_path: Path) -> None:
    first, second = handler_zip(), handler_zip()
    assert first == second
    with zipfile.ZipFile(BytesIO(first)) as archive:
        assert sorted(archive.namelist()) == sorted(handler_files())
        archive.extractall(tmp_path)
    event = json.dumps({"detail-type": "ECS Task State Change", "id": "1", "detail": {"lastStatus": "RUNNING"}})
    script = f"import json, handler.app as app; print(app.handler(json.loads({event!r}), None)['level'])"
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "WARNING"  # missing clusterArn and taskArn are noted


def test_every_child_is_parented_and_named_after_the_component(deployed: Run) -> None:
    children = [urn for urn in deployed.urns if "$aws:" in urn]
    assert len(children) == len([r for r in deployed.mocks.resources if r.type.startswith("aws:")]) > 20
    for urn in children:
        assert f"{COMPONENT}$aws:" in urn, urn
        assert urn.rsplit("::", 1)[-1].startswith("orders-"), urn


def test_two_loggers_in_one_stack_do_not_collide() -> None:
    def program() -> None:
        EcsTaskEventLogger("blue", EcsTaskEventLoggerArgs([CLUSTER_ARN]))
        EcsTaskEventLogger("green", EcsTaskEventLoggerArgs([CLUSTER_ARN.replace("demo", "other")]))

    both = run(program)
    logical = [resource.name for resource in both.mocks.resources]
    physical = [resource.outputs.get("name") for resource in both.mocks.resources if resource.outputs.get("name")]
    assert len(logical) == len(set(logical)) > 40
    assert len(physical) == len(set(physical))


def test_outputs_are_the_resources_values(deployed: Run) -> None:
    outputs = deployed.outputs
    group = deployed.one(LOG_GROUP).outputs["name"]
    assert outputs["function_name"] == deployed.one(FUNCTION).outputs["name"]
    assert outputs["function_arn"] == deployed.one(FUNCTION).outputs["arn"]
    assert outputs["log_group_name"] == group
    assert outputs["rule_name"] == deployed.one(RULE).outputs["name"]
    assert outputs["rule_arn"] == deployed.one(RULE).outputs["arn"]
    assert outputs["role_arn"] == deployed.one(ROLE).outputs["arn"]
    assert outputs["tail_logs_command"] == f"aws logs tail {group} --follow --region {REGION}"


def test_arguments_reach_the_resources() -> None:
    tuned = build(
        log_retention_days=7,
        log_level="debug",
        system_log_level="INFO",
        memory_size_mb=256,
        architecture="x86_64",
        timeout_seconds=4,
        tags={"team": "platform"},
    )
    function = tuned.one(FUNCTION).inputs
    assert tuned.one(LOG_GROUP).inputs["retentionInDays"] == 7
    assert function["loggingConfig"]["applicationLogLevel"] == "DEBUG"
    assert function["loggingConfig"]["systemLogLevel"] == "INFO"
    assert function["memorySize"] == 256
    assert function["architectures"] == ["x86_64"]
    assert function["timeout"] == 4
    for typ in (LOG_GROUP, ROLE, FUNCTION, RULE):
        assert tuned.one(typ).inputs["tags"] == {"team": "platform"}, typ


def test_several_clusters_share_one_rule() -> None:
    other = CLUSTER_ARN.replace("demo", "batch")
    pattern = json.loads(build(cluster_arns=[CLUSTER_ARN, other]).one(RULE).inputs["eventPattern"])
    assert pattern_cluster_arns(pattern) == [CLUSTER_ARN, other]
    assert pattern["$or"][1]["resources"] == [{"prefix": service_arn_prefix(arn)} for arn in (CLUSTER_ARN, other)]


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"cluster_arns": []}, "cluster_arns: no cluster ARN given"),
        ({"cluster_arns": "arn:aws:ecs:eu-west-1:111122223333:cluster/demo"}, "is not a list"),
        ({"cluster_arns": [CLUSTER_ARN, CLUSTER_ARN]}, "listed more than once"),
        ({"log_retention_days": 8}, "log_retention_days: 8 days is not a retention"),
        ({"log_level": "LOUD"}, "log_level: 'LOUD' is not a log level"),
        ({"system_log_level": "ERROR"}, "system_log_level: 'ERROR' is not a log level"),
        ({"memory_size_mb": 64}, "memory_size_mb: 64 MB is outside"),
        ({"architecture": "arm"}, "architecture: 'arm' is not a Lambda architecture"),
        ({"timeout_seconds": 0}, "timeout_seconds: 0 seconds is outside"),
        ({"tags": {"aws:owner": "me"}}, "tag key 'aws:owner' is not allowed"),
    ],
)
def test_bad_arguments_fail_before_anything_is_created(overrides: dict[str, Any], complaint: str) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ValueError, match="EcsTaskEventLoggerArgs") as raised:
        build(mocks=mocks, **overrides)
    assert complaint in str(raised.value)
    assert mocks.resources == []
