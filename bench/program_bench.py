"""How the program's evaluation time grows with the number of clusters (what `pulumi preview` spends in it)."""

from __future__ import annotations

import statistics
import time

from rehearse.mocks import ACCOUNT, REGION, run_program, stack_config


def cluster_arns(count: int) -> list[str]:
    return [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/team-{i:03d}-payments-production-fargate" for i in range(count)]


def evaluate(count: int) -> tuple[float, int]:
    """Seconds to run __main__.py under the mocks with ``count`` clusters, and the resources it registered."""
    config = stack_config(clusterArns=cluster_arns(count))  # a list, as `pulumi config set --path` stores it
    start = time.perf_counter()
    deployed = run_program(config)
    return time.perf_counter() - start, len(deployed.mocks.resources)


def measure(counts: tuple[int, ...], rounds: int) -> dict[int, tuple[float, int]]:
    """Median seconds and resource count per cluster count, the counts interleaved within each round."""
    evaluate(counts[0])  # warm imports and caches
    samples: dict[int, list[float]] = {count: [] for count in counts}
    resources: dict[int, int] = {}
    for index in range(rounds):
        order = counts if index % 2 == 0 else counts[::-1]
        for count in order:
            seconds, resources[count] = evaluate(count)
            samples[count].append(seconds)
    return {count: (statistics.median(samples[count]), resources[count]) for count in counts}
