"""The CrossGuard policy pack: the program complies, and each rule catches what it is for."""

from __future__ import annotations

import json
import runpy
from datetime import date
from types import SimpleNamespace
from typing import Any

import pulumi_policy
import pytest

from policy import validators
from policy.validators import POLICIES
from rehearse.mocks import CLUSTER_ARN, ROOT, Run, run_program, stack_config

LOG_GROUP_ARN = "arn:aws:logs:eu-west-1:111122223333:log-group:ecs-task-events-logs"


@pytest.fixture(scope="module")
def deployed() -> Run:
    return run_program(stack_config(clusterArn=CLUSTER_ARN, alertEmail="oncall@example.com"))


def violations(resource_type: str, props: dict[str, Any]) -> dict[str, list[str]]:
    found = {spec.name: spec.check(resource_type, props) for spec in POLICIES}
    return {name: found_violations for name, found_violations in found.items() if found_violations}


def test_every_resource_of_the_program_complies(deployed: Run) -> None:
    checked = 0
    for resource in deployed.mocks.resources:
        assert violations(resource.type, resource.inputs) == {}, (resource.type, resource.name)
        checked += 1
    assert checked > 25
    types = {resource.type for resource in deployed.mocks.resources}
    # The resources the rules are about are all there, so the loop above really checked them.
    for resource_type in (
        validators.LOG_GROUP,
        validators.EVENT_RULE,
        validators.LAMBDA_FUNCTION,
        validators.LAMBDA_PERMISSION,
        validators.SQS_QUEUE,
        *validators.POLICY_DOCUMENT_INPUTS.keys() & types,
    ):
        assert resource_type in types


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


BAD: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "no retention": ("log-group-retention", validators.LOG_GROUP, {}, "keeps its logs forever"),
    "retention 0": ("log-group-retention", validators.LOG_GROUP, {"retentionInDays": 0}, "keeps its logs forever"),
    "retention 8": (
        "log-group-retention",
        validators.LOG_GROUP,
        {"retentionInDays": 8},
        "retention_in_days 8 is not one CloudWatch Logs accepts",
    ),
    "star resource": (
        "iam-no-wildcards",
        "aws:iam/rolePolicy:RolePolicy",
        {"policy": policy_document({"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"})},
        "wildcard resource '*'",
    ),
    "wildcard ARN": (
        "iam-no-wildcards",
        "aws:iam/rolePolicy:RolePolicy",
        {
            "policy": policy_document(
                {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "arn:aws:logs:*:*:*"}
            )
        },
        "wildcard resource 'arn:aws:logs:*:*:*'",
    ),
    "star action": (
        "iam-no-wildcards",
        "aws:iam/policy:Policy",
        {"policy": policy_document({"Effect": "Allow", "Action": "*", "Resource": LOG_GROUP_ARN})},
        "wildcard action '*'",
    ),
    "service star action": (
        "iam-no-wildcards",
        "aws:sqs/queuePolicy:QueuePolicy",
        {
            "policy": policy_document(
                {"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:eu-west-1:111122223333:q"}
            )
        },
        "wildcard action 'sqs:*'",
    ),
    "not resource": (
        "iam-no-wildcards",
        "aws:iam/rolePolicy:RolePolicy",
        {"policy": policy_document({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::x/*"})},
        "NotResource",
    ),
    "inline policy": (
        "iam-no-wildcards",
        "aws:iam/role:Role",
        {"inlinePolicies": [{"policy": policy_document({"Effect": "Allow", "Action": "*", "Resource": "*"})}]},
        "inline policy 0",
    ),
    "unscoped permission": (
        "events-permission-scoped",
        validators.LAMBDA_PERMISSION,
        {"principal": "events.amazonaws.com", "action": "lambda:InvokeFunction", "function": "f"},
        "without source_arn",
    ),
    "permission for any rule of a name prefix": (
        "events-permission-scoped",
        validators.LAMBDA_PERMISSION,
        {
            "principal": "events.amazonaws.com",
            "action": "lambda:InvokeFunction",
            "function": "f",
            "sourceArn": "arn:aws:events:eu-west-1:111122223333:rule/logger-*",
        },
        "admits rules this stack does not own",
    ),
    "permission for any account's rules": (
        "events-permission-scoped",
        validators.LAMBDA_PERMISSION,
        {
            "principal": "events.amazonaws.com",
            "action": "lambda:InvokeFunction",
            "function": "f",
            "sourceArn": "arn:aws:events:eu-west-1:????????????:rule/logger.??",
        },
        "a wildcard in the region or account",
    ),
    "permission with a source account": (
        "events-permission-no-source-account",
        validators.LAMBDA_PERMISSION,
        {
            "principal": "events.amazonaws.com",
            "action": "lambda:InvokeFunction",
            "function": "f",
            "sourceArn": "arn:aws:events:eu-west-1:111122223333:rule/r",
            "sourceAccount": "111122223333",
        },
        "EventBridge will never invoke",
    ),
    "rule without clusters": (
        "ecs-rules-filter-clusters",
        validators.EVENT_RULE,
        {"eventPattern": json.dumps({"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"]})},
        "every cluster",
    ),
    "rule with a cluster name": (
        "ecs-rules-filter-clusters",
        validators.EVENT_RULE,
        {"eventPattern": json.dumps({"source": ["aws.ecs"], "detail": {"clusterArn": ["demo"]}})},
        "'demo' is neither a cluster ARN",
    ),
    "rule with a bare prefix": (
        "ecs-rules-filter-clusters",
        validators.EVENT_RULE,
        {"eventPattern": json.dumps({"source": ["aws.ecs"], "detail": {"clusterArn": [{"prefix": "arn:aws:ecs"}]}})},
        "neither a cluster ARN nor a prefix of one",
    ),
    "rule whose deployment branch takes every cluster": (
        "ecs-rules-filter-clusters",
        validators.EVENT_RULE,
        {
            "eventPattern": json.dumps(
                {
                    "source": ["aws.ecs"],
                    "$or": [
                        {"detail": {"clusterArn": ["arn:aws:ecs:eu-west-1:111122223333:cluster/demo"]}},
                        {"detail-type": ["ECS Deployment State Change"]},
                    ],
                }
            )
        },
        "every cluster",
    ),
    "rule with a service prefix of any account": (
        "ecs-rules-filter-clusters",
        validators.EVENT_RULE,
        {
            "eventPattern": json.dumps(
                {"source": ["aws.ecs"], "$or": [{"resources": [{"prefix": "arn:aws:ecs:eu-west-1:"}]}]}
            )
        },
        "not a prefix of service ARNs with the account",
    ),
    "rule on the default bus with a Region's prefix of any account": (
        "ecs-rules-filter-clusters",
        validators.EVENT_RULE,
        {
            "eventBusName": "default",
            "eventPattern": json.dumps(
                {"source": ["aws.ecs"], "detail": {"clusterArn": [{"prefix": "arn:aws:ecs:eu-west-1:"}]}}
            ),
        },
        "a Region's prefix alone is allowed only on a custom bus",
    ),
    "rule on a custom bus with a prefix without the Region": (
        "ecs-rules-filter-clusters",
        validators.EVENT_RULE,
        {
            "eventBusName": "central",
            "eventPattern": json.dumps({"source": ["aws.ecs"], "detail": {"clusterArn": [{"prefix": "arn:aws:ecs:"}]}}),
        },
        "neither a cluster ARN nor a prefix of one",
    ),
    "invalid pattern": (
        "ecs-rules-filter-clusters",
        validators.EVENT_RULE,
        {"eventPattern": "{source"},
        "not valid JSON",
    ),
    "plain queue": ("sqs-encrypted", validators.SQS_QUEUE, {"messageRetentionSeconds": 60}, "not encrypted"),
    "old runtime": (
        "lambda-runtime-supported",
        validators.LAMBDA_FUNCTION,
        {"runtime": "python3.9"},
        "deprecated by AWS on 2025-12-15",
    ),
    "made-up runtime": (
        "lambda-runtime-supported",
        validators.LAMBDA_FUNCTION,
        {"runtime": "python3.99"},
        "'python3.99' is not a Lambda runtime",
    ),
    "debug logging": (
        "lambda-not-debug",
        validators.LAMBDA_FUNCTION,
        {"runtime": "python3.13", "loggingConfig": {"logFormat": "JSON", "applicationLogLevel": "DEBUG"}},
        "DEBUG",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_each_rule_reports_its_violation(case: str) -> None:
    policy, resource_type, props, complaint = BAD[case]
    found = violations(resource_type, props)
    assert list(found) == [policy]
    assert any(complaint in violation for violation in found[policy]), found


def test_scoped_documents_pass() -> None:
    scoped = policy_document(
        {"Effect": "Allow", "Action": ["logs:CreateLogStream"], "Resource": [LOG_GROUP_ARN, f"{LOG_GROUP_ARN}:*"]},
        {"Effect": "Deny", "Action": "*", "Resource": "*"},  # a Deny may be as broad as it likes
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"},
    )
    assert violations("aws:iam/rolePolicy:RolePolicy", {"policy": scoped}) == {}
    prefix = {
        "source": ["aws.ecs"],
        "detail": {"clusterArn": [{"prefix": "arn:aws:ecs:eu-west-1:111122223333:cluster/"}]},
    }
    assert violations(validators.EVENT_RULE, {"eventPattern": json.dumps(prefix)}) == {}
    services = {
        "source": ["aws.ecs"],
        "$or": [
            {"detail": {"clusterArn": ["arn:aws:ecs:eu-west-1:111122223333:cluster/demo"]}},
            {"resources": [{"prefix": "arn:aws:ecs:eu-west-1:111122223333:service/demo/"}]},
        ],
    }
    assert violations(validators.EVENT_RULE, {"eventPattern": json.dumps(services)}) == {}
    other_source = {"source": ["aws.ec2"]}
    assert violations(validators.EVENT_RULE, {"eventPattern": json.dumps(other_source)}) == {}
    assert violations(validators.SQS_QUEUE, {"kmsMasterKeyId": "alias/aws/sqs"}) == {}
    assert violations(validators.LAMBDA_FUNCTION, {"packageType": "Image"}) == {}


def test_runtime_support_follows_the_calendar() -> None:
    check = validators.lambda_runtime_supported
    assert check(validators.LAMBDA_FUNCTION, {"runtime": "python3.13"}, today=date(2029, 6, 29)) == []
    assert check(validators.LAMBDA_FUNCTION, {"runtime": "python3.13"}, today=date(2029, 6, 30)) != []


def test_the_pack_registers_every_rule_with_its_enforcement(monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict[str, Any] = {}

    def capture(name: str, policies: list[Any], **_: Any) -> None:
        built.update(name=name, policies=policies)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", capture)
    monkeypatch.syspath_prepend(str(ROOT / "policy"))
    runpy.run_path(str(ROOT / "policy" / "__main__.py"))
    assert built["name"] == "ecs-task-events"
    by_name = {policy.name: policy for policy in built["policies"]}
    assert list(by_name) == [spec.name for spec in POLICIES]
    assert by_name["lambda-not-debug"].enforcement_level == pulumi_policy.EnforcementLevel.ADVISORY
    assert by_name["iam-no-wildcards"].enforcement_level == pulumi_policy.EnforcementLevel.MANDATORY
    reported: list[str] = []

    args = SimpleNamespace(resource_type=validators.LOG_GROUP, props={"retentionInDays": 8})
    by_name["log-group-retention"].validate(args, lambda message, urn: reported.append(message))
    assert reported and "retention_in_days 8" in reported[0]


def test_the_action_logs_resources_comply_and_their_group_policy_is_checked() -> None:
    """With actionLogs the delivery resources and the group's policy pass every rule; the pack reads that policy, so
    a wildcard resource in it is reported (iam-no-wildcards)."""
    with_action_logs = run_program(stack_config(clusterArn=CLUSTER_ARN, actionLogs="true"))
    for resource in with_action_logs.mocks.resources:
        assert violations(resource.type, resource.inputs) == {}, (resource.type, resource.name)
    policy = with_action_logs.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    document = json.loads(policy.inputs["policyDocument"])
    document["Statement"][0]["Resource"] = "*"
    widened = violations(policy.type, {**policy.inputs, "policyDocument": json.dumps(document)})
    assert list(widened) == ["iam-no-wildcards"]


def test_an_organisation_stack_complies_and_its_new_policies_are_checked() -> None:
    """Organisation mode adds the central bus's policy, the failure topics' and the relay queue's: each passes
    every rule, and the pack reads each (a wildcard Resource in the relay queue's policy is reported)."""
    central = run_program(
        stack_config(
            allClusters="true",
            memberOrganizationalUnitIds=["r-ab12"],
            memberRegions=["eu-west-1", "us-east-1"],
            organizationId="o-a1b2c3d4e5",
            alertEmail="oncall@example.com",
        )
    )
    for resource in central.mocks.resources:
        assert violations(resource.type, resource.inputs) == {}, (resource.type, resource.name)
    types = {resource.type for resource in central.mocks.resources}
    assert {"aws:cloudwatch/eventBusPolicy:EventBusPolicy", "aws:sns/topicPolicy:TopicPolicy"} <= types
    (mapping,) = central.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    (queue,) = [
        q for q in central.of_type("aws:sqs/queue:Queue") if q.outputs["arn"] == mapping.inputs["eventSourceArn"]
    ]
    (policy,) = [
        p for p in central.of_type("aws:sqs/queuePolicy:QueuePolicy") if p.inputs["queueUrl"] == queue.outputs["url"]
    ]
    document = json.loads(policy.inputs["policy"])
    document["Statement"][0]["Resource"] = "*"
    widened = violations(policy.type, {**policy.inputs, "policy": json.dumps(document)})
    assert list(widened) == ["iam-no-wildcards"]
