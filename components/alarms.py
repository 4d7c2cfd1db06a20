"""Tell someone: metrics from the handler's records, and the alarms that page.

The handler's JSON records become metrics through CloudWatch Logs metric
filters (no extra API calls from the function). Every alarm fires on the first
occurrence and treats missing data as fine: no events is good news.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

# Metrics for graphs, per cluster and group, shared by every logger in the account.
METRIC_NAMESPACE = "EcsTaskEvents"


def logger_namespace(log_group_name: str) -> str:
    """A namespace of this logger's own, so its alarm counts its clusters' stops only, however many."""
    return f"{METRIC_NAMESPACE}/{log_group_name}"


@dataclass(frozen=True)
class LogMetric:
    """A metric filter over the handler's records: which records, which value, which dimensions."""

    key: str
    metric: str
    pattern: str
    value: str
    unit: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    per_logger: bool = False  # in the logger's own namespace (for its alarm) instead of the shared one


# Dimensions for graphs: which cluster, and which service or task family ("group"). The Cluster value is the whole
# cluster ARN, which names its account and region, so in organisation mode every datapoint already says where it
# came from: an Account or Region dimension would add nothing but distinct values. A metric filter takes at most
# 3 dimensions (CloudWatch Logs API Reference, MetricTransformation, "dimensions").
MAX_FILTER_DIMENSIONS = 3
CLUSTER_AND_GROUP = {"Cluster": "$.clusterArn", "Group": "$.group"}

# The handler logs an abnormal stop at ERROR with "abnormal": true on the task's STOPPED record only, and never
# on a duplicate it recognises (handler/classify.py, handler/app.py): one datapoint per task.
ABNORMAL_STOP_PATTERN = '{ ($.abnormal IS TRUE) && ($.level = "ERROR") }'
ABNORMAL_STOPS = LogMetric(
    key="abnormal-stops",
    metric="AbnormalTaskStops",
    pattern=ABNORMAL_STOP_PATTERN,
    value="1",
    unit="Count",
    per_logger=True,
)
ABNORMAL_STOPS_BY_GROUP = LogMetric(
    key="abnormal-stops-by-group",
    metric="AbnormalTaskStops",
    pattern=ABNORMAL_STOP_PATTERN,
    value="1",
    unit="Count",
    dimensions=CLUSTER_AND_GROUP,
)


def _duration(key: str, metric: str, field_name: str) -> LogMetric:
    """A duration field of the RUNNING record with desired RUNNING, the only one that has it: once per task."""
    return LogMetric(
        key=key,
        metric=metric,
        pattern=f'{{ ($.lastStatus = "RUNNING") && ($.desiredStatus = "RUNNING") && ($.{field_name} >= 0) }}',
        value=f"$.{field_name}",
        unit="Seconds",
        dimensions=CLUSTER_AND_GROUP,
    )


TASK_STARTUP = _duration("startup-seconds", "TaskStartupSeconds", "startupSeconds")
IMAGE_PULL = _duration("pull-seconds", "ImagePullSeconds", "pullSeconds")
LOG_METRICS = (ABNORMAL_STOPS, ABNORMAL_STOPS_BY_GROUP, TASK_STARTUP, IMAGE_PULL)


@dataclass(frozen=True)
class AlarmSpec:
    key: str
    description: str
    namespace: pulumi.Input[str]
    metric: str
    statistic: str
    period: int
    dimensions: Mapping[str, pulumi.Input[str]]


def filter_dimensions(metric: LogMetric, group_metrics: bool) -> dict[str, str] | None:
    """The metric's dimensions, without Group when group metrics are off.

    CloudWatch Logs disables a metric filter that produces more than 1,000 distinct dimension name/value
    pairs within an hour (CloudWatch Logs API Reference, PutMetricFilter, "dimensions"); every service
    and task family of an account can get there, so allClusters leaves Group out by default. In organisation
    mode allClusters means every cluster of every member account, which is where that limit bites first:
    Group stays out unless groupMetrics says otherwise. The Cluster values alone still grow with the clusters
    that have datapoints in an hour: past 1,000 of them the per-cluster filters stop, while the abnormal-stop
    alarm's own metric, without dimensions, goes on.
    """
    dimensions = {name: value for name, value in metric.dimensions.items() if group_metrics or name != "Group"}
    return dimensions or None


def metric_filters(
    prefix: str, log_group: aws.cloudwatch.LogGroup, parent: pulumi.Resource, *, group_metrics: bool = True
) -> list[aws.cloudwatch.LogMetricFilter]:
    return [
        aws.cloudwatch.LogMetricFilter(
            f"{prefix}-{metric.key}-filter",
            log_group_name=log_group.name,
            pattern=metric.pattern,
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                name=metric.metric,
                namespace=log_group.name.apply(logger_namespace) if metric.per_logger else METRIC_NAMESPACE,
                value=metric.value,
                unit=metric.unit,
                dimensions=filter_dimensions(metric, group_metrics),
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for metric in LOG_METRICS
    ]


def queue_alarm(key: str, what: str, queue: aws.sqs.Queue) -> AlarmSpec:
    return AlarmSpec(
        key=key,
        description=(
            f"{what} Replay them once the cause is fixed: see docs/alarms-and-messages.md, 'Replay dead letters'."
        ),
        namespace="AWS/SQS",
        metric="ApproximateNumberOfMessagesVisible",
        statistic="Maximum",
        period=300,
        dimensions={"QueueName": queue.name},
    )


def function_alarms(function: aws.lambda_.Function) -> list[AlarmSpec]:
    return [
        AlarmSpec(
            key="function-errors",
            description="The ECS task event logger failed on an event; Lambda retries, then sends it to the "
            "failed-events queue.",
            namespace="AWS/Lambda",
            metric="Errors",
            statistic="Sum",
            period=300,
            dimensions={"FunctionName": function.name},
        ),
        AlarmSpec(
            key="function-throttles",
            description="The ECS task event logger was throttled; throttled events wait and may expire unlogged.",
            namespace="AWS/Lambda",
            metric="Throttles",
            statistic="Sum",
            period=300,
            dimensions={"FunctionName": function.name},
        ),
    ]


def abnormal_stop_alarm(log_group: aws.cloudwatch.LogGroup) -> AlarmSpec:
    """One alarm for all the logger's clusters, however many (or all of the account's)."""
    return AlarmSpec(
        key="abnormal-stops",
        description="An ECS task stopped abnormally (it failed to start, crashed, ran out of memory or failed "
        "health checks). The log group has the details: the saved query abnormal-stops lists them.",
        namespace=log_group.name.apply(logger_namespace),
        metric=ABNORMAL_STOPS.metric,
        statistic="Sum",
        period=60,
        dimensions={},
    )


def alarm(
    prefix: str,
    spec: AlarmSpec,
    topic_arns: Sequence[pulumi.Input[str]],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    return aws.cloudwatch.MetricAlarm(
        f"{prefix}-{spec.key}-alarm",
        alarm_description=spec.description,
        namespace=spec.namespace,
        metric_name=spec.metric,
        dimensions=dict(spec.dimensions) or None,
        statistic=spec.statistic,
        period=spec.period,
        evaluation_periods=1,
        threshold=0,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=list(topic_arns),
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
