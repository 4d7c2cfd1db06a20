"""What CloudWatch would do with the records: metric filters publish datapoints, alarms compare them.

moto runs neither metric filters nor alarm evaluation, so this does both with the project's own code: the
filter-pattern evaluator (rehearse/filter_patterns.py) for CloudWatch Logs' JSON patterns ("Filter pattern
syntax for metric filters"), and an alarm's statistic over each period against its threshold ("Using Amazon
CloudWatch alarms": a datapoint is breaching when it crosses the threshold).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .filter_patterns import matches


@dataclass(frozen=True)
class Datapoint:
    """One value a metric filter publishes for one log record."""

    namespace: str
    metric: str
    value: float
    dimensions: Mapping[str, str] = field(default_factory=dict)
    timestamp: str = ""  # the record's, ISO 8601
    record: int = 0  # the record's position in the run


def _selected(record: Mapping[str, Any], selector: str) -> Any:
    """``$.a.b`` of a record; a literal otherwise."""
    if not selector.startswith("$."):
        return selector
    value: Any = record
    for part in selector[2:].split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def publish(metric_filters: Sequence[Mapping[str, Any]], lines: Sequence[str]) -> list[Datapoint]:
    """The datapoints the filters (their Pulumi inputs) publish for these log lines, in line order.

    A record whose dimension field is missing publishes nothing for that filter, as CloudWatch Logs does.
    """
    points = []
    for index, line in enumerate(lines):
        record = json.loads(line)
        for metric_filter in metric_filters:
            if not matches(metric_filter["pattern"], record):
                continue
            transformation = metric_filter["metricTransformation"]
            dimensions = {
                name: _selected(record, selector) for name, selector in (transformation.get("dimensions") or {}).items()
            }
            if any(value is None for value in dimensions.values()):
                continue
            points.append(
                Datapoint(
                    namespace=transformation["namespace"],
                    metric=transformation["name"],
                    value=float(_selected(record, transformation["value"])),
                    dimensions={name: str(value) for name, value in dimensions.items()},
                    timestamp=str(record.get("timestamp", "")),
                    record=index,
                )
            )
    return points


STATISTICS: dict[str, Callable[[list[float]], float]] = {
    "Sum": sum,
    "Maximum": max,
    "Minimum": min,
    "SampleCount": len,
    "Average": lambda values: sum(values) / len(values),
}
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


def _seconds(timestamp: str) -> int:
    """Seconds of the day of an ISO 8601 timestamp (the periods here are whole minutes or less than a day)."""
    return int(timestamp[11:13]) * 3600 + int(timestamp[14:16]) * 60 + int(timestamp[17:19])


def evaluate_alarm(alarm: Mapping[str, Any], points: Sequence[Datapoint]) -> tuple[str, list[float]]:
    """ALARM or OK for an alarm (its Pulumi inputs) that evaluates one period, and each period's statistic.

    Only the datapoints of the alarm's namespace, metric and exact dimensions count; no data is OK
    (treatMissingData notBreaching, as every alarm of this project sets).
    """
    if alarm.get("evaluationPeriods", 1) != 1:
        raise NotImplementedError("only single-period alarms are evaluated here")
    wanted = dict(alarm.get("dimensions") or {})
    periods: dict[int, list[float]] = defaultdict(list)
    for point in points:
        if (point.namespace, point.metric, dict(point.dimensions)) == (alarm["namespace"], alarm["metricName"], wanted):
            periods[_seconds(point.timestamp) // int(alarm["period"])].append(point.value)
    statistic, compare = STATISTICS[alarm["statistic"]], COMPARISONS[alarm["comparisonOperator"]]
    values = [float(statistic(period)) for _, period in sorted(periods.items())]
    breaching = any(compare(value, float(alarm["threshold"])) for value in values)
    return ("ALARM" if breaching else "OK"), values


@dataclass(frozen=True)
class MetricTotal:
    """The datapoints of one metric and one set of dimensions, as CloudWatch's statistics over the run."""

    namespace: str
    metric: str
    dimensions: Mapping[str, str]
    sum: float
    sample_count: int
    maximum: float


def totals(points: Sequence[Datapoint]) -> list[MetricTotal]:
    """One total per metric and dimensions, in a stable order (namespace, metric, dimensions), not one per record."""
    groups: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Datapoint]] = defaultdict(list)
    for point in points:
        groups[(point.namespace, point.metric, tuple(sorted(point.dimensions.items())))].append(point)
    return [
        MetricTotal(
            namespace=namespace,
            metric=metric,
            dimensions=dict(group[0].dimensions),
            sum=sum(point.value for point in group),
            sample_count=len(group),
            maximum=max(point.value for point in group),
        )
        for (namespace, metric, _), group in sorted(groups.items(), key=lambda item: item[0])
    ]
