"""Many clusters: a list, every cluster of the account, and rules split under EventBridge's pattern limit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from arn_like import admits
from config_refusals import cli_refusal, config_error

from components import EcsTaskEventLogger, EcsTaskEventLoggerArgs, iam_policies
from components.event_pattern import (
    MAX_PATTERN_CHARS,
    MAX_RULES,
    pattern_cluster_arns,
    service_arn_prefix,
    split_patterns,
)
from policy.validators import POLICIES
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, RecordingMocks, Run, run, run_program, stack_config
from rehearse.pulumi_cli import StackValue

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
    return {rule.name: pattern_cluster_arns(json.loads(rule.inputs["eventPattern"])) for rule in deployed.of_type(RULE)}


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
        tasks, deployments = pattern["$or"]
        assert pattern["source"] == ["aws.ecs"] and tasks["detail-type"] == [
            "ECS Task State Change",
            "ECS Service Action",
        ]
        # Each rule's deployments are those of its own clusters' services.
        prefixes = [service_arn_prefix(arn) for arn in tasks["detail"]["clusterArn"]]
        assert deployments["resources"] == [{"prefix": prefix} for prefix in prefixes]
    function = deployed.one(FUNCTION).outputs
    (permission,) = (p.inputs for p in deployed.of_type(PERMISSION))  # one, however many rules
    assert (permission["principal"], permission["function"]) == ("events.amazonaws.com", function["name"])
    targets = {t.inputs["rule"]: t.inputs for t in deployed.of_type(TARGET)}
    assert len(targets) == len(rules)
    for rule in rules:
        assert admits(permission["sourceArn"], rule.outputs["arn"])
        assert targets[rule.outputs["name"]]["arn"] == function["arn"]
    undelivered = [p for p in deployed.of_type(QUEUE_POLICY) if p.name.endswith("-undelivered-policy")]
    (statement,) = json.loads(undelivered[0].inputs["policy"])["Statement"]
    assert statement["Condition"] == {"ArnLike": {"aws:SourceArn": permission["sourceArn"]}}
    assert len([a for a in deployed.of_type(ALARM) if "abnormal-stops" in a.name]) == 1
    if count == 1:
        assert [rule.name for rule in rules] == ["fleet-rule"]  # a one-cluster stack keeps issue-2 names
    else:
        assert len(rules) > count // 40


@pytest.mark.parametrize(("count", "service_events"), [(30, True), (150, True), (30, False), (200, False)])
def test_adding_a_cluster_changes_only_the_rule_it_lands_in(count: int, service_events: bool) -> None:
    """(With service events a cluster takes about twice the characters, its ARN and its services' prefix, so 200
    of these long names plus ten is past 32 rules; without, as before.)"""
    before = split_patterns(cluster_arns(count), service_events)
    changes = []
    for extra in range(count, count + 10):
        after = split_patterns([*cluster_arns(count), *cluster_arns(extra + 1, start=extra)], service_events)
        if len(after) == len(before) and set(after) == set(before):
            changes.append(sum(after[index] != before[index] for index in before))
        else:
            # Only when the rules must double: every old rule index is still there, so no rule is replaced.
            assert set(before) <= set(after) or len(before) == 1
    assert changes and all(changed == 1 for changed in changes)


def test_the_split_is_the_same_whatever_the_order() -> None:
    arns = cluster_arns(120)
    forward = {index: set(pattern_cluster_arns(json.loads(p))) for index, p in split_patterns(arns).items()}
    backward = {index: set(pattern_cluster_arns(json.loads(p))) for index, p in split_patterns(arns[::-1]).items()}
    assert forward == backward


def largest_accepted_list(make: Callable[[int], list[str]]) -> list[str]:
    """The longest list of ``make(n)`` the split accepts (a bucket only grows with the list, so bisect)."""

    def accepted(count: int) -> bool:
        try:
            split_patterns(make(count))
        except ValueError:
            return False
        return True

    low, high = 1, 1
    while accepted(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if accepted(middle) else (low, middle)
    return make(low)


def rules_of_others(rule_arn: str) -> list[str]:
    """Rule ARNs that are not the logger's own but come as close to its rule's ARN as EventBridge allows."""
    head, name = rule_arn.rsplit("/", 1)
    function_name, index = name.rsplit(".", 1)
    return [
        f"{head}/{function_name}-2.{index}",  # another function's rules (function names hold no '.')
        f"{head}/{function_name}.{index}0",  # a rule named by hand past the two digits
        f"{head}/{function_name}.x/{index}",  # a rule on a custom bus named 'FUNCTION.x'
        f"{head}/{function_name}.{index[0]}/r",  # ... and the shortest such bus and rule
        f"{head}/other/{name}",  # a rule of the same name on another bus
        rule_arn.replace(REGION, "eu-west-2"),
        rule_arn.replace(ACCOUNT, "444455556666"),
        f"{head}/{function_name}",
    ]


@pytest.mark.parametrize("count", [1, 200])
def test_one_invoke_permission_admits_every_rule_of_the_logger_and_no_other(count: int) -> None:
    """The function's policy holds one statement whatever the number of rules, and it is tight.

    AWS: Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), "Function
    resource-based policy: 20 KB" (one statement per rule would cap a logger at 32 rules). AddPermission's SourceArn
    is compared with StringLike (botocore's lambda model), shown as ArnLike (Lambda Developer Guide, "Working with
    resource-based IAM policies in Lambda"); both take ? for one character (IAM User Guide, "IAM JSON policy
    elements: Condition operators"; tests/arn_like.py). Names: CreateFunction's FunctionName [a-zA-Z0-9-_],
    PutRule's Name [.-_A-Za-z0-9]{1,64}, CreateEventBus's Name without '/' (botocore's lambda and events models).
    """
    deployed = build(cluster_arns(count))
    (permission,) = deployed.of_type(PERMISSION)
    pattern = permission.inputs["sourceArn"]
    assert "*" not in pattern
    rules = deployed.of_type(RULE)
    assert len(rules) >= (1 if count == 1 else 16)
    for rule in rules:
        assert admits(pattern, rule.outputs["arn"])
        assert len(rule.outputs["name"]) <= 64
        for other in rules_of_others(rule.outputs["arn"]):
            assert not admits(pattern, other), other
    statement = iam_policies.eventbridge_invoke_statement(
        iam_policies.LONGEST_STATEMENT_ID, deployed.one(FUNCTION).outputs["arn"], pattern
    )
    assert len(iam_policies.function_resource_policy([statement]).encode()) < 1_000


def test_200_clusters_with_40_character_names_are_accepted() -> None:
    """The size the cap is lifted for: 200 clusters, 40-character names, service events on (the default)."""
    arns = [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{f'team-{i:03d}-':x<40}" for i in range(200)]
    deployed = build(arns)
    assert sorted(arn for pattern in patterns_by_rule(deployed).values() for arn in pattern) == sorted(arns)
    assert len(deployed.of_type(PERMISSION)) == 1
    assert len(deployed.of_type(RULE)) <= MAX_RULES == 64


def test_a_component_name_too_long_for_its_rule_names_is_refused() -> None:
    """PutRule's Name is at most 64 characters (botocore's events model); the rules carry the function's name."""
    mocks = RecordingMocks()
    with pytest.raises(ValueError, match=r"at most 44"):

        def program() -> None:
            EcsTaskEventLogger("n" * 45, EcsTaskEventLoggerArgs(cluster_arns=[CLUSTER_ARN]))

        run(program, mocks=mocks)
    assert mocks.resources == []

    def longest_name() -> None:
        EcsTaskEventLogger("n" * 44, EcsTaskEventLoggerArgs(cluster_arns=[CLUSTER_ARN]))

    longest = run(longest_name)
    assert len(longest.one(RULE).outputs["name"]) == 64


@pytest.mark.parametrize("name_length", [8, 40, 255])
def test_the_largest_accepted_list_deploys_a_function_policy_under_the_limit(name_length: int) -> None:
    """The largest cluster list the program accepts, deployed: its one permission, as Lambda writes it, fits.

    AWS: Lambda quotas, "Function resource-based policy: 20 KB"; the statement's shape as GetPolicy returns
    it (Lambda Developer Guide, "Working with resource-based IAM policies in Lambda").
    """

    def make(count: int) -> list[str]:
        return [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{f'c{i:05d}':x<{name_length}}" for i in range(count)]

    arns = largest_accepted_list(make)
    with pytest.raises(ValueError, match="allClusters"):
        split_patterns(make(len(arns) + 1))
    deployed = build(arns)
    rules = deployed.of_type(RULE)
    assert MAX_RULES // 2 < len(rules) <= MAX_RULES  # the largest list needs the most rules allowed
    function_arn = deployed.one(FUNCTION).outputs["arn"]
    statements = [
        # The provider generates the statement id; count it at the longest AddPermission allows.
        iam_policies.eventbridge_invoke_statement(iam_policies.LONGEST_STATEMENT_ID, function_arn, arn)
        for arn in (p.inputs["sourceArn"] for p in deployed.of_type(PERMISSION))
    ]
    (statement,) = statements
    assert all(admits(statement["Condition"]["ArnLike"]["AWS:SourceArn"], r.outputs["arn"]) for r in rules)
    size = len(iam_policies.function_resource_policy(statements).encode())
    assert size < iam_policies.MAX_FUNCTION_POLICY_BYTES, size


def test_too_many_clusters_fail_before_anything_is_created() -> None:
    mocks = RecordingMocks()
    with pytest.raises(ValueError, match=r"need more than 64 EventBridge rules .* pulumi config set allClusters true"):

        def program() -> None:
            EcsTaskEventLogger("fleet", EcsTaskEventLoggerArgs(cluster_arns=cluster_arns(3000)))

        run(program, mocks=mocks)
    assert mocks.resources == []


def test_cluster_list_from_structured_config() -> None:
    arns = cluster_arns(40)
    deployed = run_program(stack_config(clusterArns=arns))
    assert sorted(arn for pattern in patterns_by_rule(deployed).values() for arn in pattern) == sorted(arns)
    assert sorted(deployed.outputs["ruleNames"]) == sorted(r.outputs["name"] for r in deployed.of_type(RULE))
    assert deployed.outputs["ruleName"] in deployed.outputs["ruleNames"]
    assert len(deployed.outputs["ruleArns"]) == len(deployed.of_type(RULE)) >= 2


def test_all_clusters_matches_this_account_and_region_only() -> None:
    deployed = run_program(stack_config(allClusters="true"))
    (rule,) = deployed.of_type(RULE)
    pattern = json.loads(rule.inputs["eventPattern"])
    tasks, deployments = pattern["$or"]
    assert tasks["detail"] == {"clusterArn": [{"prefix": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/"}]}
    assert deployments["resources"] == [{"prefix": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/"}]
    assert "aws:index/getCallerIdentity:getCallerIdentity" in deployed.mocks.calls
    for resource in deployed.mocks.resources:
        for spec in POLICIES:
            assert spec.check(resource.type, resource.inputs) == [], (spec.name, resource.name)
    # Prefix matching itself is checked with moto's matcher in the rehearsal (tests/test_rehearsal.py).


BAD_CLUSTERS: dict[str, tuple[dict[str, StackValue], str]] = {
    "duplicates": ({"clusterArns": [CLUSTER_ARN, CLUSTER_ARN]}, "is listed more than once"),
    "mixed regions": (
        {"clusterArns": [CLUSTER_ARN, CLUSTER_ARN.replace(REGION, "us-east-1")]},
        "is in region us-east-1 but this stack deploys to eu-west-1",
    ),
    "mixed accounts": (
        {"clusterArns": [CLUSTER_ARN, CLUSTER_ARN.replace(ACCOUNT, "444455556666").replace("demo", "b")]},
        "is in account 444455556666",
    ),
    # Pulumi.yaml's default: an empty list names no cluster, so the program asks for one.
    "empty list": ({"clusterArns": []}, "clusterArn = (not set): it is required"),
    "too many for the function policy": (
        {"clusterArns": cluster_arns(3000)},
        "clusterArns = '[3000 clusters]': 3000 clusters need more than 64 EventBridge rules",
    ),
    "bad entry": ({"clusterArns": [CLUSTER_ARN, "demo"]}, "entry 1: 'demo' is not an ECS cluster ARN"),
    "both keys": (
        {"clusterArn": CLUSTER_ARN, "clusterArns": [CLUSTER_ARN]},
        "clusterArn and clusterArns are set together; they are alternatives",
    ),
    "all and one": ({"clusterArn": CLUSTER_ARN, "allClusters": "true"}, "clusterArn and allClusters are set together"),
}
# Values of the wrong type: the CLI refuses them before the program runs (rehearse/pulumi_cli.py); past the CLI,
# the program refuses them too, with its own fix.
WRONG_TYPES: dict[str, tuple[dict[str, StackValue], str, str]] = {
    "not a list": (
        {"clusterArns": CLUSTER_ARN},
        "configuration key 'clusterArns' must be of type 'array<string>'",
        "clusterArns is a list, set one entry at a time",
    ),
    "all not boolean": (
        {"allClusters": "every"},
        "configuration key 'allClusters' must be of type 'boolean'",
        "'every' is not true or false",
    ),
}


@pytest.mark.parametrize("case", BAD_CLUSTERS, ids=list(BAD_CLUSTERS))
def test_bad_cluster_config_fails_before_anything_is_created(case: str) -> None:
    values, complaint = BAD_CLUSTERS[case]
    message = config_error(stack_config(**values))
    assert complaint in message
    assert "Fix: pulumi config" in message


@pytest.mark.parametrize("case", WRONG_TYPES, ids=list(WRONG_TYPES))
def test_cluster_config_of_the_wrong_type_is_refused_by_the_cli_and_the_program(case: str) -> None:
    values, by_the_cli, by_the_program = WRONG_TYPES[case]
    assert by_the_cli in cli_refusal(stack_config(**values))
    message = config_error(stack_config(**values), past_the_cli=True)
    assert by_the_program in message
    assert "Fix: pulumi config" in message


def test_component_takes_a_list_or_a_prefix_not_both() -> None:
    with pytest.raises(ValueError, match="give cluster_arns or all_clusters_prefix, not both"):
        EcsTaskEventLoggerArgs(
            cluster_arns=[CLUSTER_ARN], all_clusters_prefix=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/"
        ).validated()
    with pytest.raises(ValueError, match="is not an ECS cluster ARN prefix with its account"):
        EcsTaskEventLoggerArgs(all_clusters_prefix="arn:aws:ecs:").validated()
