"""The EventBridge event patterns: which events reach the function, split over rules when they must be.

An event pattern may be at most 2,048 characters, about 30 cluster ARNs. Past
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

from .iam_policies import max_invoke_statements

TASK_STATE_CHANGE = "ECS Task State Change"
MAX_PATTERN_CHARS = 2048


def _max_rules() -> int:
    """The most rules one logger may have: a power of two (so a split only ever doubles) whose invoke
    permissions, one per rule, fit in the function's 20 KB resource policy even with the longest names.
    That is 32, about a tenth of EventBridge's default 300 rules per bus."""
    rules = 1
    while rules * 2 <= max_invoke_statements():
        rules *= 2
    return rules


MAX_RULES = _max_rules()


def task_state_change_pattern(cluster_arns: Sequence[str]) -> dict[str, Any]:
    """Task state changes of exactly these clusters; nothing else on the bus."""
    return {
        "source": ["aws.ecs"],
        "detail-type": [TASK_STATE_CHANGE],
        "detail": {"clusterArn": list(cluster_arns)},
    }


def all_clusters_pattern(cluster_arn_prefix: str) -> dict[str, Any]:
    """Task state changes of every cluster whose ARN starts with the prefix (one account, one region).

    Never a pattern without a cluster filter: on a bus that receives other accounts'
    events, that would log (and pay for) theirs too.
    """
    return {
        "source": ["aws.ecs"],
        "detail-type": [TASK_STATE_CHANGE],
        "detail": {"clusterArn": [{"prefix": cluster_arn_prefix}]},
    }


def pattern_json(pattern: dict[str, Any]) -> str:
    """Compact, and the same string for the same clusters (no spurious diffs on `pulumi up`)."""
    return json.dumps(pattern, separators=(",", ":"))


def _bucket(cluster_arn: str, rule_count: int) -> int:
    digest = hashlib.sha256(cluster_arn.encode()).digest()
    return int.from_bytes(digest[:8], "big") % rule_count


def split_patterns(cluster_arns: Sequence[str]) -> dict[int, str]:
    """Rule index -> pattern JSON, every pattern within EventBridge's limit; rules with no cluster are left out.

    The ARNs keep their given order within a rule.
    """
    rule_count = 1
    while rule_count <= MAX_RULES:
        buckets: dict[int, list[str]] = {}
        for arn in cluster_arns:
            buckets.setdefault(_bucket(arn, rule_count), []).append(arn)
        patterns = {index: pattern_json(task_state_change_pattern(arns)) for index, arns in sorted(buckets.items())}
        if all(len(pattern) <= MAX_PATTERN_CHARS for pattern in patterns.values()):
            return patterns
        rule_count *= 2
    raise ValueError(
        f"{len(cluster_arns)} clusters need more than {MAX_RULES} EventBridge rules (each rule needs an invoke "
        f"permission, and the function's 20 KB policy holds {MAX_RULES}); log every cluster of the account and "
        "region instead: pulumi config set allClusters true (and remove the cluster list)"
    )
