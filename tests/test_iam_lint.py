"""Every IAM policy the program renders passes a real IAM linter (parliament), and the linter does refuse bad ones.

The documents are taken from whole program runs under the mocks (tests/iam_lint.py finds them in what was
registered), so a policy added later is linted without being listed here. What parliament checks and how the
documents with a Principal are linted (resource, trust and function policies) is in tests/iam_lint.py.

AWS pages and sources relied on:
- "Service Authorization Reference" (docs.aws.amazon.com/service-authorization/latest/reference/): the actions,
  resource types and condition keys, as parliament 1.6.4 bundles them.
- "AWS global condition context keys" (IAM User Guide): aws:SourceArn, aws:SourceAccount and the other global keys.
- "Logs sent to CloudWatch Logs" (CloudWatch Logs User Guide): the log group policy for delivery.logs.amazonaws.com
  (actionLogs), a resource policy like the queue and topic ones.
- AddPermission (Lambda API Reference; botocore's lambda model): StatementId, 1 to 100 of [a-zA-Z0-9-_].
- "AWS JSON policy elements: Principal" (IAM User Guide): a role trust policy is the role's resource-based policy.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from iam_lint import (
    KNOWN_GAPS,
    LAMBDA_STATEMENT_ID,
    Kind,
    NotLintable,
    Rendered,
    findings,
    rendered_policies,
)

from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, RecordingMocks, Registered, Run, run_program, stack_config
from rehearse.pulumi_cli import StackValue

RULE = "aws:cloudwatch/eventRule:EventRule"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:undelivered"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall"
RULE_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/orders"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/orders"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"
# Enough clusters that the program spreads them over several rules (each with its own invoke permission).
MANY_CLUSTERS = [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/team-{i:03d}-payments-production" for i in range(40)]

CONFIGS: dict[str, dict[str, StackValue]] = {
    "defaults": {"clusterArn": CLUSTER_ARN},
    "notifications and email": {"clusterArn": CLUSTER_ARN, "notifications": "true", "alertEmail": "oncall@example.com"},
    "no notifications": {"clusterArn": CLUSTER_ARN, "notifications": "false"},
    "alarmTopicArn": {"clusterArn": CLUSTER_ARN, "alarmTopicArn": TOPIC},
    "allClusters": {"allClusters": "true"},
    "split cluster list": {"clusterArns": MANY_CLUSTERS},
    "Slack": {"clusterArn": CLUSTER_ARN, "slackWorkspaceId": "T07EA123LEP", "slackChannelId": "C07EZ1ABC23"},
    "no dead-letter queues": {"clusterArn": CLUSTER_ARN, "deadLetterQueues": "false"},
    "organisation": {
        "allClusters": "true",
        "memberOrganizationalUnitIds": ["r-ab12"],
        "memberRegions": [REGION, "us-east-1"],
        "organizationId": "o-a1b2c3d4e5",
    },
    "container log lines": {
        "clusterArn": CLUSTER_ARN,
        "containerLogGroups": ["/ecs/", "/shared/app"],
        "containerLogLines": "5",
    },
    "action logs": {"clusterArns": [CLUSTER_ARN, CLUSTER_ARN.replace("demo", "batch")], "actionLogs": "true"},
    "routes": {
        "clusterArn": CLUSTER_ARN,
        "routes": json.dumps(
            [
                {"services": ["payments-*"], "topicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:payments"},
                {"services": ["family:search-*"], "topicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:search"},
            ]
        ),
    },
}


def deployed(config: dict[str, StackValue]) -> Run:
    return run_program(stack_config(**config))


@pytest.mark.parametrize("name", CONFIGS, ids=list(CONFIGS))
def test_every_rendered_policy_passes_parliament(name: str) -> None:
    run = deployed(CONFIGS[name])
    policies = rendered_policies(run)
    problems = [problem for policy in policies for problem in findings(policy)]
    assert problems == []
    # The lint saw the documents the deployment has, not an empty list.
    kinds = Counter(policy.kind for policy in policies)
    assert kinds["trust"] == len(run.of_type("aws:iam/role:Role"))
    assert kinds["identity"] == len(run.of_type("aws:iam/rolePolicy:RolePolicy"))
    resource_policies = (
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:cloudwatch/eventBusPolicy:EventBusPolicy",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    )
    assert kinds["resource"] == sum(len(run.of_type(kind)) for kind in resource_policies)
    if name == "organisation":
        assert len(run.of_type("aws:cloudwatch/eventBusPolicy:EventBusPolicy")) == 1
    (function_policy,) = [policy for policy in policies if policy.kind == "function"]
    # One EventBridge permission, however many rules, and nothing else: in organisation mode too, where the
    # member Regions' failure topics reach the function through one queue, not a permission each.
    (by_events,) = function_policy.statements
    assert by_events["Principal"] == {"Service": "events.amazonaws.com"}
    if name == "action logs":
        assert len(run.of_type("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")) == 1
    if name == "split cluster list":
        assert len(run.of_type(RULE)) > 1


def statement(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **fields}


def rendered(kind: Kind, *statements: dict[str, Any], governs: str | None = None) -> Rendered:
    return Rendered(f"a {kind} policy", kind, {"Version": "2012-10-17", "Statement": list(statements)}, governs)


SEND = {"Action": "sqs:SendMessage", "Resource": QUEUE}
FROM_RULE = {"ArnEquals": {"aws:SourceArn": RULE_ARN}}
BAD = {
    "unknown action": (rendered("identity", statement(Action="sqs:SendMessages", Resource=QUEUE)), "UNKNOWN_ACTION"),
    "unknown prefix": (rendered("identity", statement(Action="sqss:SendMessage", Resource=QUEUE)), "UNKNOWN_PREFIX"),
    "a topic's ARN for an SQS action": (
        rendered("identity", statement(Action="sqs:SendMessage", Resource=TOPIC)),
        "RESOURCE_MISMATCH",
    ),
    "a log group's ARN for PutLogEvents, which acts on log streams": (
        rendered(
            "identity",
            statement(Action="logs:PutLogEvents", Resource=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:orders"),
        ),
        "RESOURCE_MISMATCH",
    ),
    "a condition key that does not exist": (
        rendered("identity", statement(**SEND, Condition={"ArnEquals": {"aws:SourceArnn": RULE_ARN}})),
        "UNKNOWN_CONDITION_FOR_ACTION",
    ),
    "a service key the action does not take": (
        rendered("identity", statement(**SEND, Condition={"StringEquals": {"sns:Protocol": "email"}})),
        "UNKNOWN_CONDITION_FOR_ACTION",
    ),
    "an unknown condition operator": (
        rendered("identity", statement(**SEND, Condition={"ArnEqual": {"aws:SourceArn": RULE_ARN}})),
        "UNKNOWN_OPERATOR",
    ),
    "a queue policy naming no account or IAM ARN": (
        rendered("resource", statement(Principal={"AWS": "orders-role"}, **SEND, Condition=FROM_RULE)),
        "UNKNOWN_PRINCIPAL",
    ),
    "a queue policy's unknown action": (
        rendered(
            "resource",
            statement(Principal={"Service": "events.amazonaws.com"}, Action="sqs:Send", Resource=QUEUE),
        ),
        "UNKNOWN_ACTION",
    ),
    "a trust policy with a Resource": (
        rendered(
            "trust",
            statement(Principal={"Service": "lambda.amazonaws.com"}, Action="sts:AssumeRole", Resource="*"),
            governs=ROLE_ARN,
        ),
        "a trust policy has no Resource",
    ),
    "a trust policy's unknown action": (
        rendered(
            "trust", statement(Principal={"Service": "lambda.amazonaws.com"}, Action="sts:Assume"), governs=ROLE_ARN
        ),
        "UNKNOWN_ACTION",
    ),
    "a trust policy's unknown condition key": (
        rendered(
            "trust",
            statement(
                Principal={"Service": "lambda.amazonaws.com"},
                Action="sts:AssumeRole",
                Condition={"StringEquals": {"sts:SourceAccount": ACCOUNT}},
            ),
            governs=ROLE_ARN,
        ),
        "UNKNOWN_CONDITION_FOR_ACTION",
    ),
    "a function policy's statement id AddPermission refuses": (
        rendered(
            "function",
            statement(
                Sid="invoke from orders",
                Principal={"Service": "events.amazonaws.com"},
                Action="lambda:InvokeFunction",
                Resource=FUNCTION_ARN,
                Condition={"ArnLike": {"AWS:SourceArn": RULE_ARN}},
            ),
        ),
        "is not one AddPermission takes",
    ),
    # AddPermission's SourceArn pattern (botocore's lambda model) takes a Region name or nothing: no '*' there,
    # although IAM's ArnLike would match one (CloudFormation coverage roadmap, issue 431, asks for it).
    "a function policy whose SourceArn has '*' for the Region": (
        rendered(
            "function",
            statement(
                Sid="failure-topics",
                Principal={"Service": "sns.amazonaws.com"},
                Action="lambda:InvokeFunction",
                Resource=FUNCTION_ARN,
                Condition={"ArnLike": {"AWS:SourceArn": f"arn:aws:sns:*:{ACCOUNT}:logger-forwarding"}},
            ),
        ),
        f"SourceArn 'arn:aws:sns:*:{ACCOUNT}:logger-forwarding' is not one AddPermission takes",
    ),
    "a function policy naming a rule where the function goes": (
        rendered(
            "function",
            statement(
                Sid="orders-invoke",
                Principal={"Service": "events.amazonaws.com"},
                Action="lambda:InvokeFunction",
                Resource=RULE_ARN,
            ),
        ),
        "RESOURCE_MISMATCH",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_document_is_refused(case: str) -> None:
    document, complaint = BAD[case]
    problems = findings(document)
    assert any(complaint in problem for problem in problems), problems


def test_a_function_policys_statement_ids_are_lambdas_not_iams() -> None:
    """Lambda keeps AddPermission's StatementId as the Sid; it may hold '-' (the provider's generated ids do),
    which IAM's own Sid grammar does not allow and parliament refuses as INVALID_SID, skipping the statement."""
    assert LAMBDA_STATEMENT_ID.pattern == "([a-zA-Z0-9-_]+)"  # botocore's model, as AWS's API reference gives it
    invoke = statement(
        Sid="ecs-task-events-invoke-1a2b3c4",
        Principal={"Service": "events.amazonaws.com"},
        Action="lambda:InvokeFunction",
        Resource=FUNCTION_ARN,
        Condition={"ArnLike": {"AWS:SourceArn": RULE_ARN}},
    )
    assert findings(rendered("function", invoke)) == []
    assert any("INVALID_SID" in problem for problem in findings(rendered("resource", invoke)))
    duplicated = findings(rendered("function", invoke, invoke))
    assert any("duplicate statement ids" in problem for problem in duplicated), duplicated


def test_an_action_parliament_lacks_passes_only_through_a_cited_entry() -> None:
    """logs:ListLogGroups is in the Service Authorization Reference ("Actions, resources, and condition keys for
    Amazon CloudWatch Logs") but not in parliament 1.6.4's database."""
    page = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html"
    listing = rendered("identity", statement(Action=["logs:ListLogGroups", "sqs:SendMessage"], Resource=QUEUE))
    assert any("UNKNOWN_ACTION" in problem for problem in findings(listing))
    assert findings(listing, known_gaps={"logs:ListLogGroups": page}) == []
    # The rest of the statement is still linted: a misspelled neighbour fails all the same.
    misspelled = rendered("identity", statement(Action=["logs:ListLogGroups", "sqs:SendMesage"], Resource=QUEUE))
    assert any("UNKNOWN_ACTION" in problem for problem in findings(misspelled, known_gaps={"logs:ListLogGroups": page}))
    with pytest.raises(ValueError, match="parliament knows"):
        findings(listing, known_gaps={"sqs:SendMessage": page})
    assert not [action for action in KNOWN_GAPS if not KNOWN_GAPS[action].startswith("https://docs.aws.amazon.com/")]


def test_a_policy_the_collector_cannot_read_is_an_error_not_a_skip() -> None:
    """A new kind of policy resource, or a permission for another principal, must be taught to the lint."""
    mocks = RecordingMocks()
    run = Run(mocks, monitor=None)  # type: ignore[arg-type]
    mocks.resources.append(
        Registered("aws:s3/bucketPolicy:BucketPolicy", "logs-policy", {"bucket": "b", "policy": "not JSON"}, {})
    )
    with pytest.raises(NotLintable, match="logs-policy"):
        rendered_policies(run)
    mocks.resources[:] = [
        Registered("aws:lambda/function:Function", "fn", {}, {"name": "fn", "arn": FUNCTION_ARN}),
        Registered(
            "aws:lambda/permission:Permission", "from-sns", {"function": "fn", "principal": "sns.amazonaws.com"}, {}
        ),
    ]
    with pytest.raises(NotLintable, match="from-sns"):
        rendered_policies(run)


def test_a_new_policy_anywhere_in_a_resource_is_found_and_linted() -> None:
    """A topic policy (none is rendered today) is found by its shape, and its mistake reported."""
    mocks = RecordingMocks()
    run = Run(mocks, monitor=None)  # type: ignore[arg-type]
    bad = {
        "Version": "2012-10-17",
        "Statement": [
            statement(Principal={"Service": "cloudwatch.amazonaws.com"}, Action="sns:Publish", Resource=QUEUE)
        ],
    }
    mocks.resources.append(
        Registered("aws:sns/topicPolicy:TopicPolicy", "alerts-policy", {"arn": TOPIC, "policy": json.dumps(bad)}, {})
    )
    (policy,) = rendered_policies(run)
    assert policy.kind == "resource"
    assert any("RESOURCE_MISMATCH" in problem for problem in findings(policy))
