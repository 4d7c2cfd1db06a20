"""Many clusters: a list, every cluster of the account, and rules split under EventBridge's pattern limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_mocks import ACCOUNT, CLUSTER_ARN, REGION, RecordingMocks, Run, run, run_program, stack_config

from components import ConfigError, EcsTaskEventLogger, EcsTaskEventLoggerArgs
from components.event_pattern import MAX_PATTERN_CHARS, split_patterns
from policy.validators import POLICIES

RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
PERMISSION = "aws:lambda/permission:Permission"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FUNCTION = "aws:lambda/function:Function"


def cluster_arns(count: int, start: int = 0) -> list[str]:
    """Realistically long cluster names, as teams name them."""
    return [
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/team-{i:03d}-payments-production-fargate" for i in range(start, count)
    ]


def build(arns: list[str], **overrides: Any) -> Run:
    def program() -> None:
        EcsTaskEventLogger("fleet", EcsTaskEventLoggerArgs(cluster_arns=arns, **overrides))

    return run(program)


def patterns_by_rule(deployed: Run) -> dict[str, list[str]]:
    return {
        rule.name: json.loads(rule.inputs["eventPattern"])["detail"]["clusterArn"] for rule in deployed.of_type(RULE)
    }


@pytest.mark.parametrize("count", [1, 30, 200])
def test_every_cluster_in_exactly_one_rule_each_wired_and_scoped(count: int) -> None:
    arns = cluster_arns(count)
    deployed = build(arns)
    rules = deployed.of_type(RULE)
    listed = [arn for pattern in patterns_by_rule(deployed).values() for arn in pattern]
    assert sorted(listed) == sorted(arns)  # each exactly once
    for rule in rules:
        assert len(rule.inputs["eventPattern"]) <= MAX_PATTERN_CHARS
        pattern = json.loads(rule.inputs["eventPattern"])
        assert pattern["source"] == ["aws.ecs"] and pattern["detail-type"] == ["ECS Task State Change"]
    function = deployed.one(FUNCTION).outputs
    permissions = {p.inputs["sourceArn"]: p.inputs for p in deployed.of_type(PERMISSION)}
    targets = {t.inputs["rule"]: t.inputs for t in deployed.of_type(TARGET)}
    assert len(permissions) == len(targets) == len(rules)
    for rule in rules:
        permission = permissions[rule.outputs["arn"]]
        assert (permission["principal"], permission["function"]) == ("events.amazonaws.com", function["name"])
        assert targets[rule.outputs["name"]]["arn"] == function["arn"]
    undelivered = [p for p in deployed.of_type(QUEUE_POLICY) if p.name.endswith("-undelivered-policy")]
    (statement,) = json.loads(undelivered[0].inputs["policy"])["Statement"]
    allowed = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert sorted(allowed if isinstance(allowed, list) else [allowed]) == sorted(r.outputs["arn"] for r in rules)
    assert len([a for a in deployed.of_type(ALARM) if "abnormal-stops" in a.name]) == 1
    if count == 1:
        assert [rule.name for rule in rules] == ["fleet-rule"]  # a one-cluster stack keeps issue-2 names
    else:
        assert len(rules) > count // 40


@pytest.mark.parametrize("count", [30, 200])
def test_adding_a_cluster_changes_only_the_rule_it_lands_in(count: int) -> None:
    before = split_patterns(cluster_arns(count))
    changes = []
    for extra in range(count, count + 10):
        after = split_patterns([*cluster_arns(count), *cluster_arns(extra + 1, start=extra)])
        if len(after) == len(before) and set(after) == set(before):
            changes.append(sum(after[index] != before[index] for index in before))
        else:
            # Only when the rules must double: every old rule index is still there, so no rule is replaced.
            assert set(before) <= set(after) or len(before) == 1
    assert changes and all(changed == 1 for changed in changes)


def test_the_split_is_the_same_whatever_the_order() -> None:
    arns = cluster_arns(120)
    forward = {
        index: set(json.loads(pattern)["detail"]["clusterArn"]) for index, pattern in split_patterns(arns).items()
    }
    backward = {
        index: set(json.loads(pattern)["detail"]["clusterArn"]) for index, pattern in split_patterns(arns[::-1]).items()
    }
    assert forward == backward


def test_too_many_clusters_fail_before_anything_is_created() -> None:
    mocks = RecordingMocks()
    with pytest.raises(ValueError, match="need more than 64 EventBridge rules; log every cluster"):

        def program() -> None:
            EcsTaskEventLogger("fleet", EcsTaskEventLoggerArgs(cluster_arns=cluster_arns(3000)))

        run(program, mocks=mocks)
    assert mocks.resources == []


def test_cluster_list_from_structured_config() -> None:
    arns = cluster_arns(40)
    deployed = run_program(stack_config(clusterArns=json.dumps(arns)))
    assert sorted(arn for pattern in patterns_by_rule(deployed).values() for arn in pattern) == sorted(arns)
    assert sorted(deployed.outputs["ruleNames"]) == sorted(r.outputs["name"] for r in deployed.of_type(RULE))
    assert deployed.outputs["ruleName"] in deployed.outputs["ruleNames"]
    assert len(deployed.outputs["ruleArns"]) == len(deployed.of_type(RULE)) >= 2


def test_all_clusters_matches_this_account_and_region_only() -> None:
    deployed = run_program(stack_config(allClusters="true"))
    (rule,) = deployed.of_type(RULE)
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["detail"] == {"clusterArn": [{"prefix": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/"}]}
    assert "aws:index/getCallerIdentity:getCallerIdentity" in deployed.mocks.calls
    for resource in deployed.mocks.resources:
        for spec in POLICIES:
            assert spec.check(resource.type, resource.inputs) == [], (spec.name, resource.name)
    # Prefix matching itself is checked with moto's matcher in the rehearsal (tests/test_rehearsal.py).


BAD_CLUSTERS = {
    "duplicates": ({"clusterArns": json.dumps([CLUSTER_ARN, CLUSTER_ARN])}, "is listed more than once"),
    "mixed regions": (
        {"clusterArns": json.dumps([CLUSTER_ARN, CLUSTER_ARN.replace(REGION, "us-east-1")])},
        "is in region us-east-1 but this stack deploys to eu-west-1",
    ),
    "mixed accounts": (
        {"clusterArns": json.dumps([CLUSTER_ARN, CLUSTER_ARN.replace(ACCOUNT, "444455556666").replace("demo", "b")])},
        "is in account 444455556666",
    ),
    "empty list": ({"clusterArns": "[]"}, "no cluster ARN given"),
    "not a list": ({"clusterArns": json.dumps(CLUSTER_ARN)}, "is not a list of ECS cluster ARNs"),
    "bad entry": ({"clusterArns": json.dumps([CLUSTER_ARN, "demo"])}, "entry 1: 'demo' is not an ECS cluster ARN"),
    "both keys": (
        {"clusterArn": CLUSTER_ARN, "clusterArns": json.dumps([CLUSTER_ARN])},
        "clusterArn and clusterArns are set together; they are alternatives",
    ),
    "all and one": ({"clusterArn": CLUSTER_ARN, "allClusters": "true"}, "clusterArn and allClusters are set together"),
    "all not boolean": ({"allClusters": "every"}, "'every' is not true or false"),
}


@pytest.mark.parametrize("case", BAD_CLUSTERS, ids=list(BAD_CLUSTERS))
def test_bad_cluster_config_fails_before_anything_is_created(case: str) -> None:
    values, complaint = BAD_CLUSTERS[case]
    mocks = RecordingMocks()
    with pytest.raises(ConfigError) as raised:
        run_program(stack_config(**values), mocks)
    assert complaint in str(raised.value)
    assert "Fix: pulumi config" in str(raised.value)
    assert mocks.resources == []


def test_component_takes_a_list_or_a_prefix_not_both() -> None:
    with pytest.raises(ValueError, match="give cluster_arns or all_clusters_prefix, not both"):
        EcsTaskEventLoggerArgs(
            cluster_arns=[CLUSTER_ARN], all_clusters_prefix=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/"
        ).validated()
    with pytest.raises(ValueError, match="is not an ECS cluster ARN prefix with its account"):
        EcsTaskEventLoggerArgs(all_clusters_prefix="arn:aws:ecs:").validated()
