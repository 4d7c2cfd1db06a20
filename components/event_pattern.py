"""The EventBridge event pattern: which events reach the function."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

TASK_STATE_CHANGE = "ECS Task State Change"


def task_state_change_pattern(cluster_arns: Sequence[str]) -> dict[str, Any]:
    """Task state changes of exactly these clusters; nothing else on the bus."""
    return {
        "source": ["aws.ecs"],
        "detail-type": [TASK_STATE_CHANGE],
        "detail": {"clusterArn": list(cluster_arns)},
    }


def pattern_json(pattern: dict[str, Any]) -> str:
    """Compact, and the same string for the same clusters (no spurious diffs on `pulumi up`)."""
    return json.dumps(pattern, separators=(",", ":"))
