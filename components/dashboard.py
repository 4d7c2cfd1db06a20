"""One CloudWatch dashboard per logger: the fleet's abnormal stops, start-up times, why tasks stop, and the
logger's own health.

The body is a pure function of the logger's names and settings (``dashboard_body``), so tests check every
widget against what the stack emits without AWS. Metric widgets read only what the stack publishes: the
metric filters' metrics (``components/alarms.py``: the shared namespace per Cluster and Group, and the
logger's own namespace for its total), and AWS/Lambda and AWS/SQS metrics of the logger's function and
queues. Per-service graphs use SEARCH expressions, since services come and go; each expression is limited
to the logger's clusters (unless it logs all the account's clusters) and kept under the length CloudWatch
accepts, several expressions per graph when the cluster list is long.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pulumi
import pulumi_aws as aws

from . import console_links
from .alarms import (
    ABNORMAL_STOPS,
    ABNORMAL_STOPS_BY_GROUP,
    IMAGE_PULL,
    METRIC_NAMESPACE,
    TASK_STARTUP,
    LogMetric,
    filter_dimensions,
    logger_namespace,
)
from .queries import QUERIES

# CloudWatch's grid is 24 units wide.
GRID_WIDTH = 24
PERIOD = 300
# GetMetricData's Expression is at most 2,048 characters in the current API model (it was 1,024): keep to 1,024.
MAX_EXPRESSION_LENGTH = 1024
# "Up to 500 widgets per dashboard. Up to 500 metrics per dashboard widget. Up to 2500 metrics per dashboard,
# across all widgets." (CloudWatch service quotas). A body far smaller than anything AWS may refuse.
MAX_WIDGETS = 500
MAX_METRICS_PER_WIDGET = 500
MAX_METRICS_PER_DASHBOARD = 2500
BODY_BUDGET_BYTES = 256 * 1024
ALARMS_SECTION = "Alarms: what each one means and what to do"

# The records the logger writes for these ECS events, other than task state changes (handler/other_events.py).
SERVICE_EVENT_TYPES = ("ECS Deployment State Change", "ECS Service Action")

LATEST_ABNORMAL_STOPS = (
    "fields @timestamp, group, taskId, stopCode, containers.0.name, containers.0.exitCode, containers.1.name, "
    "containers.1.exitCode, message\n"
    '| filter detailType = "ECS Task State Change" and lastStatus = "STOPPED" and ispresent(abnormal)\n'
    "| sort @timestamp desc\n"
    "| limit 50"
)
# ECS Action Logs' own fields ("Log schema overview", "Monitor Amazon ECS operations with Action Logs"; the
# troubleshooting page's examples carry eventName and statusReason in detail too); the stream is the service.
ACTION_LOG_PROBLEMS = (
    "fields @timestamp, @logStream, logLevel, eventName, detail.eventName, detail.statusReason\n"
    '| filter logLevel in ["ERROR", "WARN"]\n'
    "| sort @timestamp desc\n"
    "| limit 50"
)
SERVICE_FAILURES = (
    "fields @timestamp, detailType, eventName, eventType, serviceArn, deploymentId, reason\n"
    f"| filter detailType in {json.dumps(list(SERVICE_EVENT_TYPES))}\n"
    '| filter eventType in ["WARN", "ERROR"] or eventName like /FAILED/ or reason like /(?i)roll/\n'
    "| sort @timestamp desc\n"
    "| limit 50"
)


@dataclass(frozen=True)
class DashboardNames:
    """What the stack named: everything a widget points at."""

    partition: str
    region: str
    dashboard_name: str
    log_group_name: str
    function_name: str
    undelivered_queue_name: str | None = None
    failed_queue_name: str | None = None
    alarm_arns: tuple[str, ...] = ()
    saved_query_names: tuple[str, ...] = ()
    action_log_group_name: str | None = None  # with actionLogs


@dataclass(frozen=True)
class DashboardSettings:
    """Which clusters, and which parts of the logger are on."""

    cluster_arns: tuple[str, ...] = ()
    all_clusters: bool = False
    group_metrics: bool = True
    metric_filters: bool = True  # they come with alarms=True
    organization: bool = False  # member accounts forward to this logger: break the events down by account


def dashboard_name(component: str, stack: str, region: str) -> str:
    """Dashboards are global to the account: the stack and region keep two stacks' apart.

    Names are 1 to 255 of A-Z, a-z, 0-9, "-" and "_" (PutDashboard, DashboardName)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{component}-{stack}-{region}")[:255]


def dashboard_body(names: DashboardNames, settings: DashboardSettings) -> str:
    return json.dumps({"start": "-PT24H", "periodOverride": "inherit", "widgets": widgets(names, settings)})


def widgets(names: DashboardNames, settings: DashboardSettings) -> list[dict[str, Any]]:
    rows: list[list[dict[str, Any]]] = [[_about(names, settings)]]
    if settings.metric_filters:
        # The logger's own total, the series its abnormal-stop alarm watches: over time, and for the whole range.
        total = [[logger_namespace(names.log_group_name), ABNORMAL_STOPS.metric, {"stat": "Sum", "label": "stops"}]]
        rows.append(
            [
                _searched(names, settings, ABNORMAL_STOPS_BY_GROUP, "Sum", "Abnormal task stops", width=12),
                _metric_widget(names, "Abnormal stops, all clusters", total, width=6),
                _metric_widget(
                    names, "Abnormal stops in the range", total, width=6, view="singleValue", setPeriodToTimeRange=True
                ),
            ]
        )
        for metric, what in ((TASK_STARTUP, "Task start-up"), (IMAGE_PULL, "Image pull")):
            rows.append(
                [
                    _searched(names, settings, metric, stat, f"{what} seconds, {label}", width=8)
                    for stat, label in (("p50", "p50"), ("p90", "p90"), ("Maximum", "max"))
                ]
            )
    rows.append(
        [
            _insights(names, "Why tasks stop, by service", QUERIES["stop-reasons-by-service"], width=12),
            _insights(names, "Latest abnormal stops", LATEST_ABNORMAL_STOPS, width=12),
        ]
    )
    rows.append([_insights(names, "Deployments and service actions: failures and rollbacks", SERVICE_FAILURES)])
    if names.action_log_group_name:
        title = "ECS Action Logs: errors and warnings, by service"
        rows.append([_insights(names, title, ACTION_LOG_PROBLEMS, group=names.action_log_group_name)])
    if settings.organization:
        rows.append([_insights(names, "Events by account and region", QUERIES["events-by-account"])])
    health = [
        _metric_widget(
            names,
            "Logger: invocations, errors, throttles",
            [
                ["AWS/Lambda", metric, "FunctionName", names.function_name, {"stat": "Sum"}]
                for metric in ("Invocations", "Errors", "Throttles")
            ],
        ),
        _metric_widget(
            names,
            "Logger: duration (ms)",
            [
                ["AWS/Lambda", "Duration", "FunctionName", names.function_name, {"stat": stat}]
                for stat in ("Average", "Maximum")
            ],
        ),
    ]
    queues = [
        (label, queue)
        for label, queue in (("undelivered", names.undelivered_queue_name), ("failed", names.failed_queue_name))
        if queue
    ]
    if queues:
        health.append(
            _metric_widget(
                names,
                "Dead letters waiting",
                [
                    [
                        "AWS/SQS",
                        "ApproximateNumberOfMessagesVisible",
                        "QueueName",
                        queue,
                        {"stat": "Maximum", "label": label},
                    ]
                    for label, queue in queues
                ],
            )
        )
    if names.alarm_arns:
        health.append(
            {
                "type": "alarm",
                "width": 6,
                "height": 6,
                "properties": {"title": "Alarms", "alarms": list(names.alarm_arns), "sortBy": "stateUpdatedTimestamp"},
            }
        )
    for widget in health:
        widget["width"] = GRID_WIDTH // len(health)
    rows.append(health)
    return _laid_out(rows)


def _laid_out(rows: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Rows top to bottom, widgets left to right, in the order given."""
    placed, y = [], 0
    for row in rows:
        x = 0
        for widget in row:
            placed.append(
                {
                    "type": widget["type"],
                    "x": x,
                    "y": y,
                    "width": widget["width"],
                    "height": widget["height"],
                    "properties": widget["properties"],
                }
            )
            x += widget["width"]
        y += max(widget["height"] for widget in row)
    return placed


def _metric_widget(
    names: DashboardNames, title: str, metrics: list[list[Any]], width: int = 8, view: str = "timeSeries", **extra: Any
) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": width,
        "height": 6,
        "properties": {
            "title": title,
            "region": names.region,
            "view": view,
            "stacked": False,
            "period": PERIOD,
            "metrics": metrics,
            **extra,
        },
    }


def _searched(
    names: DashboardNames, settings: DashboardSettings, metric: LogMetric, stat: str, title: str, *, width: int
) -> dict[str, Any]:
    expressions = search_expressions(metric, stat, settings)
    per = "service" if settings.group_metrics else "cluster"
    return _metric_widget(
        names,
        f"{title}, per {per}",
        [
            [{"expression": expression, "id": f"s{index}", "period": PERIOD}]
            for index, expression in enumerate(expressions)
        ],
        width=width,
    )


def search_expressions(metric: LogMetric, stat: str, settings: DashboardSettings) -> list[str]:
    """SEARCH expressions over the filter's metric in the shared namespace, with the filter's dimensions.

    One cluster or a list: only those clusters (the namespace is shared by every logger of the account), as
    few expressions as keep each under MAX_EXPRESSION_LENGTH. allClusters: every cluster, no filter.
    """
    dimensions = filter_dimensions(metric, settings.group_metrics) or {}
    schema = "{" + ",".join([METRIC_NAMESPACE, *dimensions]) + "}"

    def expression(clusters: Sequence[str]) -> str:
        where = " OR ".join(f'Cluster="{arn}"' for arn in clusters)
        clause = f" AND ({where})" if clusters else ""
        return f"SEARCH('{schema} MetricName=\"{metric.metric}\"{clause}', '{stat}', {PERIOD})"

    if settings.all_clusters or not settings.cluster_arns:
        return [expression(())]
    chunks: list[list[str]] = [[]]
    for arn in settings.cluster_arns:
        if chunks[-1] and len(expression([*chunks[-1], arn])) > MAX_EXPRESSION_LENGTH:
            chunks.append([])
        chunks[-1].append(arn)
    return [expression(chunk) for chunk in chunks]


def insights_query(names: DashboardNames, query: str, group: str | None = None) -> str:
    """A Logs Insights widget's query: the log group it runs on (the logger's, unless another is named), then the
    query."""
    return f"SOURCE '{group or names.log_group_name}' | {query}"


def _insights(
    names: DashboardNames, title: str, query: str, width: int = GRID_WIDTH, group: str | None = None
) -> dict[str, Any]:
    return {
        "type": "log",
        "width": width,
        "height": 8,
        "properties": {
            "title": title,
            "region": names.region,
            "view": "table",
            "query": insights_query(names, query, group),
        },
    }


def _about(names: DashboardNames, settings: DashboardSettings) -> dict[str, Any]:
    def insights(query: str) -> str:
        return console_links.logs_insights_url(names.region, [names.log_group_name], query, names.partition)

    clusters = (
        "every ECS cluster of the organisation's member accounts and regions, and of this account"
        if settings.all_clusters and settings.organization
        else "every ECS cluster of the account in this region"
        if settings.all_clusters
        else f"{len(settings.cluster_arns)} ECS cluster{'s' if len(settings.cluster_arns) != 1 else ''}"
    )
    queries = " · ".join(f"[{key}]({insights(query)})" for key, query in QUERIES.items())
    saved = f" (saved as `{names.saved_query_names[0].rsplit('/', 1)[0]}/…`)" if names.saved_query_names else ""
    lines = [
        f"## ECS task events: {clusters}",
        "Abnormal task stops (one per task) and start-up times come from the metric filters on the log group "
        f"[{names.log_group_name}]({console_links.log_group_url(names.region, names.log_group_name, names.partition)})"
        + ("" if settings.metric_filters else " — off: they come with the `alarms` config")
        + (", per service." if settings.group_metrics else ", per cluster (`groupMetrics` is off)."),
        "The tables are Logs Insights queries over the dashboard's time range. Deployments and service actions "
        "appear when the serviceEvents config is on (the default). The last row is the logger itself: if it errs "
        "or letters wait, events are missing above.",
        f"Queries{saved}: {queries}. What each alarm means and what to do: "
        f'docs/alarms-and-messages.md, "{ALARMS_SECTION}".',
        "Made by `pulumi up` (components/dashboard.py): edits in the console are lost at the next update.",
    ]
    return {"type": "text", "width": GRID_WIDTH, "height": 5, "properties": {"markdown": "\n\n".join(lines)}}


# The resources' side: links and the dashboard, once the names are known.


class _LoggerSettings(Protocol):
    @property
    def cluster_arns(self) -> pulumi.Input[Sequence[pulumi.Input[str]]] | None: ...
    @property
    def all_clusters_prefix(self) -> pulumi.Input[str] | None: ...
    @property
    def group_metrics(self) -> bool | None: ...
    @property
    def alarms(self) -> bool | None: ...
    @property
    def member_organizational_unit_ids(self) -> Sequence[str] | None: ...


def settings_of(args: _LoggerSettings) -> pulumi.Output[DashboardSettings]:
    """The settings the dashboard depends on, from the logger's (validated) arguments, once the cluster ARNs are
    known (from another language they may be outputs of other resources)."""
    all_clusters, group_metrics, metric_filters = args.all_clusters_prefix is not None, args.group_metrics, args.alarms
    organization = bool(args.member_organizational_unit_ids)
    known_arns: pulumi.Output[list[str]] = pulumi.Output.from_input(args.cluster_arns or ())  # type: ignore[arg-type]
    return known_arns.apply(
        lambda arns: DashboardSettings(
            cluster_arns=tuple(arns),
            all_clusters=all_clusters,
            group_metrics=bool(group_metrics),
            metric_filters=bool(metric_filters),
            organization=organization,
        )
    )


def console_links_of(log_group: aws.cloudwatch.LogGroup) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
    """The log group's console page, and Logs Insights on it with the abnormal-stops query loaded."""

    def links(values: list[str]) -> tuple[str, str]:
        arn, group = values
        _, partition, _, region, *_ = arn.split(":")
        return (
            console_links.log_group_url(region, group, partition),
            console_links.logs_insights_url(region, [group], QUERIES["abnormal-stops"], partition),
        )

    both = pulumi.Output.all(log_group.arn, log_group.name).apply(links)
    return both.apply(lambda pair: pair[0]), both.apply(lambda pair: pair[1])


def create(
    name: str,
    *,
    log_group: aws.cloudwatch.LogGroup,
    function: aws.lambda_.Function,
    queues: tuple[aws.sqs.Queue | None, aws.sqs.Queue | None],
    alarms: Sequence[aws.cloudwatch.MetricAlarm],
    saved_query_names: Sequence[str] | None,
    settings: pulumi.Output[DashboardSettings],
    parent: pulumi.Resource,
    action_log_group: aws.cloudwatch.LogGroup | None = None,
) -> pulumi.Output[str]:
    """The dashboard, its body made from the resources' names once they are known; returns its console URL."""
    undelivered, failed = queues

    def body_and_names(values: list[Any]) -> DashboardNames:
        arn, group, function_name, undelivered_name, failed_name, action_group, *alarm_arns = values
        _, partition, _, region, *_ = arn.split(":")
        return DashboardNames(
            partition=partition,
            region=region,
            dashboard_name=dashboard_name(name, pulumi.get_stack(), region),
            log_group_name=group,
            function_name=function_name,
            undelivered_queue_name=undelivered_name,
            failed_queue_name=failed_name,
            alarm_arns=tuple(alarm_arns),
            saved_query_names=tuple(saved_query_names or ()),
            action_log_group_name=action_group,
        )

    names = pulumi.Output.all(
        log_group.arn,
        log_group.name,
        function.name,
        undelivered.name if undelivered is not None else None,
        failed.name if failed is not None else None,
        action_log_group.name if action_log_group is not None else None,
        *(alarm.arn for alarm in alarms),
    ).apply(body_and_names)
    board = aws.cloudwatch.Dashboard(
        f"{name}-dashboard",
        dashboard_name=names.apply(lambda n: n.dashboard_name),
        dashboard_body=pulumi.Output.all(names, settings).apply(lambda values: dashboard_body(*values)),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return pulumi.Output.all(names, board.dashboard_name).apply(
        lambda values: console_links.dashboard_url(values[0].region, values[1], values[0].partition)
    )
