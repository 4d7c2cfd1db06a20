"""The rules of the ecs-task-events policy pack, as plain functions over a resource's inputs.

Each check takes the resource type token and its inputs (camelCase keys, as
the Pulumi engine hands them to a policy pack) and returns the violations,
one sentence each, empty when the resource complies. Standard library only,
and nothing from the project: the pack must work on any stack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
SQS_QUEUE = "aws:sqs/queue:Queue"

# The retentions CloudWatch Logs accepts (0, "never expire", is refused on purpose).
RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

# Lambda runtimes and the date AWS deprecates each (the Lambda runtimes page, as of 2026-11).
# Runtimes on Amazon Linux 2 all end with it on 2026-06-30. Update this table when AWS updates theirs.
RUNTIME_DEPRECATION = {
    "python3.14": date(2029, 6, 30),
    "python3.13": date(2029, 6, 30),
    "python3.12": date(2028, 10, 31),
    "python3.11": date(2026, 6, 30),
    "python3.10": date(2026, 6, 30),
    "python3.9": date(2025, 12, 15),
    "nodejs24.x": date(2028, 4, 30),
    "nodejs22.x": date(2027, 4, 30),
    "nodejs20.x": date(2026, 4, 30),
    "nodejs18.x": date(2025, 9, 1),
    "java25": date(2029, 6, 30),
    "java21": date(2029, 6, 30),
    "java17": date(2026, 6, 30),
    "java11": date(2026, 6, 30),
    "java8.al2": date(2026, 6, 30),
    "dotnet10": date(2028, 11, 14),
    "dotnet8": date(2026, 11, 10),
    "ruby3.4": date(2028, 3, 31),
    "ruby3.3": date(2027, 3, 31),
    "ruby3.2": date(2026, 3, 31),
    "provided.al2023": date(2029, 6, 30),
    "provided.al2": date(2026, 6, 30),
}

# Where resources carry IAM policy documents: type -> the input names holding one.
POLICY_DOCUMENT_INPUTS = {
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy",),
    "aws:sqs/queue:Queue": ("policy",),
    "aws:sns/topicPolicy:TopicPolicy": ("policy",),
    "aws:sns/topic:Topic": ("policy",),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": ("policyDocument",),
}

CLUSTER_ARN = re.compile(r"arn:[a-z-]+:ecs:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:cluster/[A-Za-z0-9_-]{1,255}")
CLUSTER_ARN_PREFIX = re.compile(r"arn:[a-z-]+:ecs:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:cluster/[A-Za-z0-9_-]*")
# Deployment events have no detail.clusterArn; their resources hold the service ARN,
# arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE: a prefix up to 'CLUSTER/', or up to 'service/' (one account).
# On a custom bus a rule sees only the events put there, and the logger's central bus admits its organisation
# alone: there "every cluster (or service) of a Region" means every one of the organisation's accounts there.
REGION_CLUSTERS_PREFIX = re.compile(r"arn:[a-z-]+:ecs:[a-z]{2}(?:-[a-z]+)+-\d+:")
SERVICE_ARN_PREFIX = re.compile(r"arn:[a-z-]+:ecs:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:service/(?:[A-Za-z0-9_-]{1,255}/)?")

Check = Callable[[str, Mapping[str, Any]], list[str]]


@dataclass(frozen=True)
class PolicySpec:
    name: str
    description: str
    mandatory: bool
    check: Check


def log_group_retention(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != LOG_GROUP:
        return []
    days = props.get("retentionInDays")
    if days in (None, 0):
        return ["the log group keeps its logs forever; set retention_in_days (e.g. 30)"]
    if days not in RETENTION_DAYS:
        allowed = ", ".join(str(value) for value in sorted(RETENTION_DAYS))
        shown = int(days) if isinstance(days, float) and days.is_integer() else days  # the engine sends doubles
        return [f"retention_in_days {shown} is not one CloudWatch Logs accepts; use one of {allowed}"]
    return []


def iam_no_wildcards(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """No Allow statement may grant every action of a service (or all), or every resource."""
    violations: list[str] = []
    for name in POLICY_DOCUMENT_INPUTS.get(resource_type, ()):
        document = props.get(name)
        if document is None:
            continue
        for index, statement in enumerate(_statements(document)):
            where = f"{name} statement {statement.get('Sid') or index}"
            violations.extend(f"{where}: {problem}" for problem in _statement_problems(statement))
    for index, inline in enumerate(props.get("inlinePolicies") or []):
        if isinstance(inline, Mapping) and inline.get("policy"):
            for statement in _statements(inline["policy"]):
                violations.extend(f"inline policy {index}: {problem}" for problem in _statement_problems(statement))
    return violations


def _statements(document: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            yield {"Effect": "Allow", "Action": "*", "Resource": "*", "Sid": "unparseable policy document"}
            return
    statements = document.get("Statement", []) if isinstance(document, Mapping) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        if isinstance(statement, Mapping):
            yield statement


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statement_problems(statement: Mapping[str, Any]) -> list[str]:
    if statement.get("Effect") != "Allow":
        return []
    problems = []
    if "NotAction" in statement:
        problems.append("allows every action but some (NotAction); list the actions instead")
    for action in _as_list(statement.get("Action", [])):
        if action == "*" or (isinstance(action, str) and action.endswith(":*")):
            problems.append(f"allows the wildcard action {action!r}; list the actions it needs")
    if "NotResource" in statement:
        problems.append("allows every resource but some (NotResource); list the resources instead")
    for resource in _as_list(statement.get("Resource", [])):
        if resource == "*" or _wildcard_arn(resource):
            problems.append(f"allows the wildcard resource {resource!r}; name the resources")
    return problems


def _wildcard_arn(resource: Any) -> bool:
    """'arn:aws:logs:*:*:*' is as broad as '*'; 'arn:aws:logs:eu-west-1:1234:log-group:x:*' is scoped."""
    if not isinstance(resource, str) or not resource.startswith("arn:"):
        return False
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return True
    _, partition, service, region, account, rest = parts
    # S3 ARNs have no region or account; their bucket/key part is what scopes them.
    return "*" in (partition, service, region, account) or rest in ("*", "") or rest.startswith("*")


def events_permission_scoped(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != LAMBDA_PERMISSION or props.get("principal") != "events.amazonaws.com":
        return []
    source_arn = props.get("sourceArn")
    if not source_arn:
        return ["lets events.amazonaws.com invoke the function without source_arn: any rule of any account could"]
    return _rule_arn_pattern_problems(source_arn) if isinstance(source_arn, str) else []


# A rule ARN, or a pattern of rule names: the wildcard '?' only, and only at the end of the rule's name (the
# name's last characters, e.g. rule/NAME.??). Lambda compares SourceArn with StringLike (botocore's lambda model,
# AddPermission), where '*' also spans ':' and '/', so '*' anywhere admits rules of other names or buses.
RULE_SOURCE_ARN = re.compile(
    r"arn:aws[a-z-]*:events:[a-z]{2}(-[a-z]+)+-\d:\d{12}:rule/([.\-_A-Za-z0-9]+/)?[.\-_A-Za-z0-9]+\?*"
)


def _rule_arn_pattern_problems(source_arn: str) -> list[str]:
    if RULE_SOURCE_ARN.fullmatch(source_arn):
        return []
    return [
        f"source_arn {source_arn!r} is not a rule ARN (arn:PARTITION:events:REGION:ACCOUNT:rule/[BUS/]NAME) with at "
        "most trailing '?' wildcards: a '*', or a wildcard in the region or account, admits rules this stack does "
        "not own"
    ]


def events_permission_without_source_account(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """EventBridge cannot invoke a function whose permission names a SourceAccount.

    AWS: EventBridge User Guide, "Troubleshooting Amazon EventBridge", "My rule ran but my Lambda
    function wasn't invoked". The rule's ARN in source_arn already names the account.
    """
    if resource_type != LAMBDA_PERMISSION or props.get("principal") != "events.amazonaws.com":
        return []
    if props.get("sourceAccount"):
        return [
            "sets source_account on a permission for events.amazonaws.com: EventBridge will never invoke the "
            "function; remove source_account (source_arn, the rule's ARN, already names the account)"
        ]
    return []


def ecs_rules_filter_clusters(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != EVENT_RULE or not props.get("eventPattern"):
        return []
    try:
        pattern = json.loads(props["eventPattern"])
    except (TypeError, ValueError):
        return ["event_pattern is not valid JSON"]
    if not isinstance(pattern, dict) or "aws.ecs" not in _as_list(pattern.get("source")):
        return []
    # A pattern with "$or" matches if any branch does: every branch must filter on the clusters.
    branches = pattern.get("$or")
    if not isinstance(branches, list) or not branches:
        branches = [{}]
    common = {key: value for key, value in pattern.items() if key != "$or"}
    custom_bus = props.get("eventBusName") not in (None, "", "default")
    problems: list[str] = []
    for branch in branches:
        problems += _branch_problems({**common, **branch} if isinstance(branch, dict) else common, custom_bus)
    return problems


def _branch_problems(pattern: Mapping[str, Any], custom_bus: bool = False) -> list[str]:
    detail = pattern.get("detail")
    clusters = detail.get("clusterArn") if isinstance(detail, dict) else None
    if isinstance(clusters, list) and clusters:
        return [
            f"detail.clusterArn entry {entry!r} is neither a cluster ARN nor a prefix of one with the account"
            + ("" if custom_bus else " (a Region's prefix alone is allowed only on a custom bus)")
            for entry in clusters
            if not _cluster_matcher(entry, custom_bus)
        ]
    resources = pattern.get("resources")
    if isinstance(resources, list) and resources:
        return [
            f"resources entry {entry!r} is not a prefix of service ARNs with the account (and cluster)"
            for entry in resources
            if not (
                isinstance(entry, dict)
                and list(entry) == ["prefix"]
                and isinstance(entry["prefix"], str)
                and (
                    SERVICE_ARN_PREFIX.fullmatch(entry["prefix"])
                    or (custom_bus and REGION_CLUSTERS_PREFIX.fullmatch(entry["prefix"]))
                )
            )
        ]
    return [
        "the rule takes aws.ecs events of every cluster; filter detail.clusterArn on your clusters "
        "(or, for deployment events, resources on their service ARN prefix)"
    ]


def _cluster_matcher(entry: Any, custom_bus: bool = False) -> bool:
    if isinstance(entry, str):
        return CLUSTER_ARN.fullmatch(entry) is not None
    if isinstance(entry, dict) and list(entry) == ["prefix"] and isinstance(entry["prefix"], str):
        prefix = entry["prefix"]
        return CLUSTER_ARN_PREFIX.fullmatch(prefix) is not None or (
            custom_bus and REGION_CLUSTERS_PREFIX.fullmatch(prefix) is not None
        )
    return False


def sqs_encrypted(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != SQS_QUEUE:
        return []
    if props.get("sqsManagedSseEnabled") is True or props.get("kmsMasterKeyId"):
        return []
    return ["the queue is not encrypted at rest; set sqs_managed_sse_enabled=True (or a KMS key)"]


def lambda_runtime_supported(resource_type: str, props: Mapping[str, Any], today: date | None = None) -> list[str]:
    if resource_type != LAMBDA_FUNCTION or props.get("packageType") == "Image":
        return []
    runtime = props.get("runtime")
    deprecated = RUNTIME_DEPRECATION.get(runtime) if isinstance(runtime, str) else None
    if deprecated is None:
        return [f"runtime {runtime!r} is not a Lambda runtime this pack knows; use e.g. python3.13"]
    if (today or date.today()) >= deprecated:
        return [f"runtime {runtime} was deprecated by AWS on {deprecated.isoformat()}; move to a supported one"]
    return []


def lambda_not_debug(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != LAMBDA_FUNCTION:
        return []
    logging_config = props.get("loggingConfig") or {}
    level = logging_config.get("applicationLogLevel") if isinstance(logging_config, Mapping) else None
    if level in ("DEBUG", "TRACE"):
        return [f"application log level {level} logs far more (and costs more) than INFO; use it for a while only"]
    return []


POLICIES = (
    PolicySpec(
        "log-group-retention", "Every log group has a retention CloudWatch Logs accepts.", True, log_group_retention
    ),
    PolicySpec("iam-no-wildcards", "No IAM policy statement allows * actions or * resources.", True, iam_no_wildcards),
    PolicySpec(
        "events-permission-scoped",
        "Lambda permissions for events.amazonaws.com name the rules (source_arn, no * and no wildcard account).",
        True,
        events_permission_scoped,
    ),
    PolicySpec(
        "events-permission-no-source-account",
        "Lambda permissions for events.amazonaws.com carry no source_account (EventBridge could not invoke).",
        True,
        events_permission_without_source_account,
    ),
    PolicySpec(
        "ecs-rules-filter-clusters",
        "EventBridge rules on aws.ecs events filter on cluster ARNs.",
        True,
        ecs_rules_filter_clusters,
    ),
    PolicySpec("sqs-encrypted", "Every SQS queue is encrypted at rest.", True, sqs_encrypted),
    PolicySpec(
        "lambda-runtime-supported",
        "Every Lambda function uses a runtime AWS still supports.",
        True,
        lambda_runtime_supported,
    ),
    PolicySpec(
        "lambda-not-debug",
        "Lambda functions do not log at DEBUG or TRACE for good.",
        False,
        lambda_not_debug,
    ),
)
