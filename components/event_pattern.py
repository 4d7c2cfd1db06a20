"""The EventBridge event patterns: which events reach the function, split over rules when they must be.

An event pattern may be at most 2,048 characters: 20 to 35 cluster ARNs, half
that with each cluster's service-ARN prefix beside it (service events). Past
that, the clusters are spread over several rules by a hash of each ARN: a
cluster's rule depends only on its ARN and the number of rules, so adding a
cluster changes only the rule it lands in. The number of rules is the smallest
power of two whose rules all fit; when it doubles, rule i keeps about half of
its clusters and hands the rest to rule i + n, and every rule keeps its name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from .iam_policies import MAX_RULES_BY_NAME

TASK_STATE_CHANGE = "ECS Task State Change"
SERVICE_ACTION = "ECS Service Action"
DEPLOYMENT_STATE_CHANGE = "ECS Deployment State Change"
MAX_PATTERN_CHARS = 2048
# EventBridge quotas (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html): 300 rules per event
# bus by default (adjustable). The logger's rules share the default bus with everything else in the account.
DEFAULT_RULES_PER_BUS = 300


def _max_rules() -> int:
    """The most rules one logger may have: a power of two (so a split only ever doubles) that the two-digit rule
    names hold (iam_policies.logger_rule_name) and that leaves most of the bus's default 300 rules to the
    account. One invoke permission covers them all, so the function's 20 KB policy no longer sets the cap."""
    rules = 1
    while rules * 2 <= MAX_RULES_BY_NAME and rules * 2 <= DEFAULT_RULES_PER_BUS // 4:
        rules *= 2
    return rules


MAX_RULES = _max_rules()


def task_state_change_pattern(cluster_arns: Sequence[str], service_events: bool = False) -> dict[str, Any]:
    """Task state changes of exactly these clusters; nothing else on the bus.

    With ``service_events``, also the clusters' service actions (their detail has clusterArn, like a task's)
    and deployment state changes, whose detail has no clusterArn: those are matched on ``resources``, which
    holds the service ARN, arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE, by the prefix up to the
    cluster's name and its slash (so cluster 'demo' never takes 'demo-2''s services).
    """
    if not service_events:
        return {
            "source": ["aws.ecs"],
            "detail-type": [TASK_STATE_CHANGE],
            "detail": {"clusterArn": list(cluster_arns)},
        }
    return _with_service_events(list(cluster_arns), [{"prefix": service_arn_prefix(arn)} for arn in cluster_arns])


def all_clusters_pattern(cluster_arn_prefix: str, service_events: bool = False) -> dict[str, Any]:
    """Task state changes of every cluster whose ARN starts with the prefix (one account, one region).

    Never a pattern without a cluster filter: on a bus that receives other accounts'
    events, that would log (and pay for) theirs too. With ``service_events``, deployments are matched by the
    service ARN prefix of the same account and region (arn:aws:ecs:REGION:ACCOUNT:service/).
    """
    if not service_events:
        return {
            "source": ["aws.ecs"],
            "detail-type": [TASK_STATE_CHANGE],
            "detail": {"clusterArn": [{"prefix": cluster_arn_prefix}]},
        }
    service_prefix = cluster_arn_prefix.replace(":cluster/", ":service/", 1)
    return _with_service_events([{"prefix": cluster_arn_prefix}], [{"prefix": service_prefix}])


def organization_clusters_pattern(
    regions: Sequence[str], partition: str = "aws", service_events: bool = False
) -> dict[str, Any]:
    """Task state changes of every cluster of every account in these regions: for a bus that only the
    organisation may put events on (organisation mode), where the members forward their own clusters' events."""
    clusters = [{"prefix": f"arn:{partition}:ecs:{region}:"} for region in regions]
    if not service_events:
        return {"source": ["aws.ecs"], "detail-type": [TASK_STATE_CHANGE], "detail": {"clusterArn": clusters}}
    services = [{"prefix": f"arn:{partition}:ecs:{region}:"} for region in regions]
    return _with_service_events(clusters, services)


def _with_service_events(clusters: list[Any], services: list[Any]) -> dict[str, Any]:
    """One rule, two ways in ($or): by detail.clusterArn, or, for deployments, by the service ARN."""
    return {
        "source": ["aws.ecs"],
        "$or": [
            {"detail-type": [TASK_STATE_CHANGE, SERVICE_ACTION], "detail": {"clusterArn": clusters}},
            {"detail-type": [DEPLOYMENT_STATE_CHANGE], "resources": services},
        ],
    }


def service_arn_prefix(cluster_arn: str) -> str:
    """'arn:aws:ecs:eu-west-1:111122223333:service/demo/': what every service ARN of the cluster starts with."""
    return cluster_arn.replace(":cluster/", ":service/", 1) + "/"


def pattern_cluster_arns(pattern: dict[str, Any]) -> list[Any]:
    """The cluster ARNs (or prefix filters) a pattern of this module takes, whichever of its two shapes."""
    branches = pattern.get("$or", [pattern])
    return [arn for branch in branches for arn in branch.get("detail", {}).get("clusterArn", [])]


def pattern_json(pattern: dict[str, Any]) -> str:
    """Compact, and the same string for the same clusters (no spurious diffs on `pulumi up`)."""
    return json.dumps(pattern, separators=(",", ":"))


def _bucket(cluster_arn: str, rule_count: int) -> int:
    digest = hashlib.sha256(cluster_arn.encode()).digest()
    return int.from_bytes(digest[:8], "big") % rule_count


def split_patterns(cluster_arns: Sequence[str], service_events: bool = True) -> dict[int, str]:
    """Rule index -> pattern JSON, every pattern within EventBridge's limit; rules with no cluster are left out.

    The ARNs keep their given order within a rule. With ``service_events`` (the default, as in config) each
    cluster takes about twice the characters (its ARN and its services' prefix), so a rule holds half as many.
    """
    rule_count = 1
    while rule_count <= MAX_RULES:
        buckets: dict[int, list[str]] = {}
        for arn in cluster_arns:
            buckets.setdefault(_bucket(arn, rule_count), []).append(arn)
        patterns = {
            index: pattern_json(task_state_change_pattern(arns, service_events))
            for index, arns in sorted(buckets.items())
        }
        if all(len(pattern) <= MAX_PATTERN_CHARS for pattern in patterns.values()):
            return patterns
        rule_count *= 2
    raise ValueError(
        f"{len(cluster_arns)} clusters need more than {MAX_RULES} EventBridge rules (the most one logger takes, "
        f"about a fifth of the bus's default {DEFAULT_RULES_PER_BUS}); log every cluster of the account and "
        "region instead: pulumi config set allClusters true (and remove the cluster list)"
        + (
            ", or leave out service and deployment events, which double each cluster's share of a pattern: "
            "pulumi config set serviceEvents false"
            if service_events
            else ""
        )
    )
