"""What AWS does that the mocks and moto do not model: config that would deploy cleanly and then stay silent.

Each test names the AWS page the behaviour comes from; a pass here is only as good as that reading.
"""

from __future__ import annotations

import pytest
from pulumi_mocks import ACCOUNT, CLUSTER_ARN, REGION, RecordingMocks, Run, run_program, stack_config

from components import ConfigError, EcsTaskEventLoggerArgs

METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
FIFO_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall.fifo"


def refused(**config: str) -> str:
    """The config error for these keys; asserts nothing was created."""
    mocks = RecordingMocks()
    with pytest.raises(ConfigError) as raised:
        run_program(stack_config(**config), mocks)
    assert mocks.resources == []
    return str(raised.value)


def test_a_fifo_alarm_topic_is_refused() -> None:
    """A FIFO topic would take the alarms and deliver them to no person.

    AWS: Amazon SNS Developer Guide, "Amazon SNS FIFO topics" / "FIFO topic delivery": FIFO topics deliver to
    Amazon SQS queues only, so an email (or HTTPS, chat) subscription to one fails.
    """
    message = refused(clusterArn=CLUSTER_ARN, alarmTopicArn=FIFO_TOPIC, alertEmail="oncall@example.com")
    assert f"ecs-task-events:alarmTopicArn = '{FIFO_TOPIC}'" in message
    assert "is a FIFO topic" in message and "Use a standard topic" in message
    assert "Fix: pulumi config set alarmTopicArn arn:aws:sns:" in message
    with pytest.raises(ValueError, match=r"alarm_topic_arn: .* is a FIFO topic"):
        EcsTaskEventLoggerArgs(cluster_arns=[CLUSTER_ARN], alarm_topic_arn=FIFO_TOPIC).validated()
    # A standard topic whose name merely contains "fifo" is fine.
    standard = f"arn:aws:sns:{REGION}:{ACCOUNT}:fifo-team-oncall"
    assert EcsTaskEventLoggerArgs(cluster_arns=[CLUSTER_ARN], alarm_topic_arn=standard).validated().alarm_topic_arn


@pytest.mark.parametrize("level", ["FATAL", "fatal", "CRITICAL"])
def test_a_log_level_that_silences_the_abnormal_stop_alarm_is_refused(level: str) -> None:
    """The abnormal-stop alarm counts ERROR records; above ERROR, Lambda drops them before they are written.

    AWS: Lambda Developer Guide, "Configuring advanced logging controls for Lambda functions" (log-level
    filtering): Lambda sends only logs at the selected level and lower to CloudWatch.
    """
    message = refused(clusterArn=CLUSTER_ARN, logLevel=level)
    assert "ecs-task-events:logLevel = 'FATAL' while ecs-task-events:alarms is on" in message
    assert "Fix: pulumi config set logLevel ERROR" in message and "pulumi config set alarms false" in message
    with pytest.raises(ValueError, match="log_level: FATAL writes no ERROR records"):
        EcsTaskEventLoggerArgs(cluster_arns=[CLUSTER_ARN], log_level=level).validated()


@pytest.mark.parametrize(("level", "alarms"), [("ERROR", "true"), ("WARN", "true"), ("FATAL", "false")])
def test_levels_that_keep_the_alarm_working_or_have_no_alarm_are_accepted(level: str, alarms: str) -> None:
    deployed = run_program(stack_config(clusterArn=CLUSTER_ARN, logLevel=level, alarms=alarms))
    (function,) = deployed.of_type("aws:lambda/function:Function")
    assert function.inputs["loggingConfig"]["applicationLogLevel"] == level


def dimensions_of(deployed: Run) -> dict[str, set[str]]:
    return {
        metric.inputs["metricTransformation"]["name"] + ("" if "by-group" not in metric.name else "/by-group"): set(
            metric.inputs["metricTransformation"].get("dimensions") or {}
        )
        for metric in deployed.of_type(METRIC_FILTER)
    }


GROUPED = {"AbnormalTaskStops": set(), "AbnormalTaskStops/by-group": {"Cluster", "Group"}}
GROUPED |= {"TaskStartupSeconds": {"Cluster", "Group"}, "ImagePullSeconds": {"Cluster", "Group"}}
CLUSTER_ONLY = {key: dimensions - {"Group"} for key, dimensions in GROUPED.items()}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"clusterArn": CLUSTER_ARN}, GROUPED),
        ({"allClusters": "true"}, CLUSTER_ONLY),
        ({"allClusters": "true", "groupMetrics": "true"}, GROUPED),
        ({"clusterArn": CLUSTER_ARN, "groupMetrics": "false"}, CLUSTER_ONLY),
    ],
    ids=["one cluster", "all clusters", "all clusters, groups asked for", "one cluster, groups off"],
)
def test_metric_filter_dimensions_stay_within_what_cloudwatch_keeps_enabled(
    config: dict[str, str], expected: dict[str, set[str]]
) -> None:
    """No per-service dimension by default for a whole account.

    AWS: CloudWatch Logs API Reference, PutMetricFilter / MetricTransformation "dimensions": at most three
    dimensions per filter, and CloudWatch Logs disables a metric filter that generates more than 1,000
    different name/value pairs for its dimensions within an hour.
    """
    deployed = run_program(stack_config(**config))
    found = dimensions_of(deployed)
    assert found == expected
    assert all(len(dimensions) <= 3 for dimensions in found.values())


def test_group_metrics_must_be_a_boolean() -> None:
    message = refused(clusterArn=CLUSTER_ARN, groupMetrics="sometimes")
    assert "ecs-task-events:groupMetrics = 'sometimes': 'sometimes' is not true or false" in message


def test_the_abnormal_stop_alarm_metric_has_no_dimension_to_overflow() -> None:
    """The alarm's own filter publishes one dimensionless series per logger, whatever the fleet's size."""
    deployed = run_program(stack_config(allClusters="true", groupMetrics="true"))
    own = [m for m in deployed.of_type(METRIC_FILTER) if m.name.endswith("-abnormal-stops-filter")]
    assert len(own) == 1
    assert "dimensions" not in own[0].inputs["metricTransformation"]
