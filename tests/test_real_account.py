"""What AWS does that the mocks and moto do not model: config that would deploy cleanly and then stay silent.

Each test names the AWS page the behaviour comes from; a pass here is only as good as that reading.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from arn_like import admits
from resource_types import (
    ALARM,
    FUNCTION,
    INVOKE_CONFIG,
    LOG_GROUP,
    METRIC_FILTER,
    QUERY,
    QUEUE,
    QUEUE_POLICY,
    ROLE,
    ROLE_POLICY,
    RULE,
    SUBSCRIPTION,
    TARGET,
    TOPIC,
)
from user_docs import user_docs

from components import ConfigError, EcsTaskEventLoggerArgs, validation
from components.event_pattern import MAX_PATTERN_CHARS, MAX_RULES
from policy import validators as policy_validators
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, RecordingMocks, Run, run_program, stack_config

LONG_CLUSTER_LIST = [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/team-{i:03d}-payments-production" for i in range(90)]
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

    AWS: Amazon SNS Developer Guide, "Message delivery for FIFO topics"
    (https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html): FIFO topics deliver to SQS queues
    only and "can't deliver messages to customer managed endpoints, such as email addresses". CloudWatch would
    publish the alarm to it ("Setting up Amazon SNS notifications"), and no person would read it.
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
    assert f"ecs-task-events:logLevel = {level!r}: with ecs-task-events:alarms on, the abnormal-stop alarm" in message
    assert "Fix: pulumi config set logLevel ERROR" in message and "pulumi config set alarms false" in message
    with pytest.raises(ValueError, match="log_level: FATAL writes no ERROR records"):
        EcsTaskEventLoggerArgs(cluster_arns=[CLUSTER_ARN], log_level=level).validated()


@pytest.mark.parametrize(("level", "alarms"), [("ERROR", "true"), ("WARN", "true"), ("FATAL", "false")])
def test_levels_that_keep_the_alarm_working_or_have_no_alarm_are_accepted(level: str, alarms: str) -> None:
    deployed = run_program(stack_config(clusterArn=CLUSTER_ARN, logLevel=level, alarms=alarms))
    (function,) = deployed.of_type(FUNCTION)
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


# The audit: every AWS limit, format and behaviour the program relies on, each against the page that says so.
# The mocks and moto accept values AWS refuses, so these compare the code with AWS's documented values.


@pytest.fixture(scope="module")
def deployed() -> Run:
    return run_program(stack_config(clusterArn=CLUSTER_ARN, alertEmail="oncall@example.com"))


def test_retention_values_are_the_ones_cloudwatch_logs_accepts() -> None:
    """CloudWatch Logs API Reference, PutRetentionPolicy, "retentionInDays": "Possible values are: 1, 3, 5, 7,
    14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, and 3653." """
    documented = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922]
    documented += [3288, 3653]
    assert documented == list(validation.RETENTION_DAYS)
    assert set(documented) == policy_validators.RETENTION_DAYS
    for days in (0, 2, 8, 3654):
        with pytest.raises(ValueError, match="is not a retention CloudWatch Logs accepts"):
            validation.check_retention_days(days)


def test_retry_and_event_age_bounds_are_eventbridges_and_lambdas() -> None:
    """EventBridge API Reference, RetryPolicy: MaximumRetryAttempts 0-185, MaximumEventAgeInSeconds 60-86400
    (User Guide, "Event retry policy and using dead-letter queues"). Lambda API Reference,
    PutFunctionEventInvokeConfig: MaximumRetryAttempts 0-2, MaximumEventAgeInSeconds 60-21600 (Developer Guide,
    "Asynchronous invocation")."""
    bounds = {
        validation.check_delivery_retry_attempts: (0, 185),
        validation.check_delivery_max_event_age: (60, 86400),
        validation.check_function_retry_attempts: (0, 2),
        validation.check_function_max_event_age: (60, 21600),
    }
    for check, (low, high) in bounds.items():
        assert (check(low), check(high)) == (low, high)
        for outside in (low - 1, high + 1):
            with pytest.raises(ValueError, match="outside what AWS accepts"):
                check(outside)


def test_function_limits_are_lambdas() -> None:
    """Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): "Function memory
    allocation: 128 MB to 10,240 MB", "Function timeout: 900 seconds". Lambda API Reference, LoggingConfig:
    ApplicationLogLevel TRACE|DEBUG|INFO|WARN|ERROR|FATAL, SystemLogLevel DEBUG|INFO|WARN."""
    assert validation.MEMORY_MB_RANGE == (128, 10240)
    assert validation.TIMEOUT_SECONDS_RANGE == (1, 900)
    assert validation.APPLICATION_LOG_LEVELS == ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
    assert validation.SYSTEM_LOG_LEVELS == ("DEBUG", "INFO", "WARN")


def test_log_levels_come_with_the_json_format_and_a_group_outside_aws(deployed: Run) -> None:
    """Lambda Developer Guide, "Log-level filtering": "To use log-level filtering, your function must be
    configured to use the JSON log format." "Configuring CloudWatch log groups": custom log group names
    mustn't begin with aws/, and a group that exists already needs no logs:CreateLogGroup."""
    logging_config = deployed.one(FUNCTION).inputs["loggingConfig"]
    assert logging_config["logFormat"] == "JSON"
    assert {"applicationLogLevel", "systemLogLevel"} <= set(logging_config)
    log_group = deployed.one(LOG_GROUP).outputs["name"]
    assert logging_config["logGroup"] == log_group and not log_group.startswith("aws/")
    (write,) = [s for s in json.loads(write_logs_policy(deployed))["Statement"] if "logs" in str(s)]
    assert write["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]


def test_the_failed_events_destination_is_a_standard_queue_the_role_may_send_to(deployed: Run) -> None:
    """Lambda Developer Guide, "Asynchronous invocation" (destinations): the execution role needs
    sqs:SendMessage on an SQS destination, which must be a standard queue."""
    destination = deployed.one(INVOKE_CONFIG).inputs["destinationConfig"]["onFailure"]["destination"]
    queue = next(q for q in deployed.of_type(QUEUE) if q.outputs["arn"] == destination)
    assert not queue.inputs.get("fifoQueue") and not destination.endswith(".fifo")
    statements = json.loads(write_logs_policy(deployed))["Statement"]
    assert {"Sid": "SendFailedEvents", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": destination} in (
        statements
    )


def test_the_rule_dead_letter_queue_is_one_eventbridge_can_use(deployed: Run) -> None:
    """EventBridge User Guide, "Event retry policy and using dead-letter queues": a standard queue in the rule's
    Region; a queue policy letting events.amazonaws.com send, with aws:SourceArn the rule's ARN ("Cross-service
    confused deputy prevention"; IAM User Guide, "The confused deputy problem": ArnLike with wildcards when the
    condition names several resources, here every rule of the logger, tests/arn_like.py). An encrypted queue needs
    a customer managed KMS key, so the queue uses SSE-SQS, which has none (no page says SSE-SQS works: unverifiable
    here)."""
    rule_arn = deployed.one(RULE).outputs["arn"]
    dead_letters = deployed.one(TARGET).inputs["deadLetterConfig"]["arn"]
    queue = next(q for q in deployed.of_type(QUEUE) if q.outputs["arn"] == dead_letters)
    assert dead_letters.split(":")[3] == rule_arn.split(":")[3]
    assert not queue.inputs.get("fifoQueue") and queue.inputs["sqsManagedSseEnabled"] is True
    assert "kmsMasterKeyId" not in queue.inputs
    (policy,) = [p for p in deployed.of_type(QUEUE_POLICY) if p.inputs["queueUrl"] == queue.outputs["url"]]
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"].keys() == {"ArnLike"}
    assert admits(statement["Condition"]["ArnLike"]["aws:SourceArn"], rule_arn)


def test_queues_keep_messages_the_longest_sqs_allows(deployed: Run) -> None:
    """SQS API Reference, CreateQueue, MessageRetentionPeriod: "60 seconds (1 minute) to 1,209,600 seconds
    (14 days)"."""
    assert {q.inputs["messageRetentionSeconds"] for q in deployed.of_type(QUEUE)} == {1_209_600}


def test_rules_and_targets_stay_within_eventbridges_quotas() -> None:
    """EventBridge quotas (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html): event pattern
    size 2,048 characters by default; 300 rules per event bus; PutTargets: five targets per rule."""
    assert MAX_PATTERN_CHARS == 2048
    assert MAX_RULES <= 300 // 4  # leaves the bus's other users most of its rules
    deployed = run_program(stack_config(clusterArns=LONG_CLUSTER_LIST))
    rules = deployed.of_type(RULE)
    assert len(rules) > 1 and all(len(rule.inputs["eventPattern"]) <= 2048 for rule in rules)
    targets_per_rule = Counter(target.inputs["rule"] for target in deployed.of_type(TARGET))
    assert set(targets_per_rule.values()) == {1}


def test_metric_filters_are_within_cloudwatch_logs_limits(deployed: Run) -> None:
    """CloudWatch Logs API Reference, PutMetricFilter: at most 100 metric filters per log group; filterPattern
    at most 1,024 characters; MetricTransformation: metricName and metricNamespace at most 255 characters,
    without ':', '*' or '$'; no defaultValue on a metric with dimensions."""
    filters = deployed.of_type(METRIC_FILTER)
    assert 0 < len(filters) <= 100
    for metric_filter in filters:
        assert len(metric_filter.inputs["pattern"]) <= 1024
        transformation = metric_filter.inputs["metricTransformation"]
        for text in (transformation["name"], transformation["namespace"]):
            assert len(text) <= 255 and not set(text) & set(":*$"), text
        assert not ("dimensions" in transformation and "defaultValue" in transformation)


def test_alarm_notifications_go_to_a_standard_topic_in_the_stacks_region(deployed: Run) -> None:
    """Amazon SNS Developer Guide, "Message delivery for FIFO topics": FIFO topics cannot deliver to email. The
    new topic is standard (no fifoTopic) and unencrypted: an SNS topic encrypted with the AWS managed key
    aws/sns never receives CloudWatch alarms (re:Post, "How do I configure a CloudWatch alarm with an encrypted
    SNS topic"). Whether an alarm may notify a topic of another Region no AWS page says; the program refuses it."""
    topic = deployed.one(TOPIC)
    assert not topic.inputs.get("fifoTopic") and "kmsMasterKeyId" not in topic.inputs
    assert {tuple(alarm.inputs["alarmActions"]) for alarm in deployed.of_type(ALARM)} == {(topic.outputs["arn"],)}
    assert topic.outputs["arn"].split(":")[3] == REGION
    (subscription,) = deployed.of_type(SUBSCRIPTION)
    assert (subscription.inputs["protocol"], subscription.inputs["topic"]) == ("email", topic.outputs["arn"])


def test_the_readme_states_the_sns_facts_next_to_the_keys() -> None:
    """Amazon SNS: unconfirmed subscriptions are deleted after 48 hours (What's New, 2023-05-10, "Amazon SNS now
    supports automatic deletion of unconfirmed subscriptions"); CloudWatch cannot use a topic encrypted with the
    AWS managed key aws/sns (re:Post, "How do I configure a CloudWatch alarm with an encrypted SNS topic")."""
    readme = user_docs()
    config_table = readme.split("## Config\n", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip(): line for line in config_table.splitlines() if line.startswith("| `")}
    assert "48 hours" in rows["`alertEmail`"] and "three days" not in readme
    assert "aws/sns" in rows["`alarmTopicArn`"] and "FIFO" in rows["`alarmTopicArn`"]


def test_tags_are_within_what_every_aws_resource_takes() -> None:
    """AWS General Reference, "Tagging your AWS resources" (tag naming limits and requirements): at most 50 tags
    per resource, keys of 1-128 characters not starting with aws:, values up to 256 characters."""
    assert (validation.TAGS_MAX, validation.TAG_KEY_MAX, validation.TAG_VALUE_MAX) == (50, 128, 256)
    fifty = {f"k{i}": "v" for i in range(50)}
    assert validation.check_tags(fifty) == fifty
    with pytest.raises(ValueError, match="51 tags are more than AWS takes on one resource; use at most 50"):
        validation.check_tags({**fifty, "one-more": "v"})
    for bad in ({"aws:team": "x"}, {"k" * 129: "x"}, {"k": "v" * 257}):
        with pytest.raises(ValueError):
            validation.check_tags(bad)


def test_descriptions_names_and_periods_are_within_aws_limits(deployed: Run) -> None:
    """Lambda CreateFunction: Description up to 256 characters. IAM CreateRole: Description up to 1,000.
    EventBridge PutRule: Description up to 512. CloudWatch PutMetricAlarm: AlarmDescription up to 1,024, Period 10,
    30 or a multiple of 60 seconds. CloudWatch Logs PutQueryDefinition: name up to 255 characters."""
    limits = {FUNCTION: ("description", 256), ROLE: ("description", 1000), RULE: ("description", 512)}
    limits[ALARM] = ("alarmDescription", 1024)
    for typ, (key, limit) in limits.items():
        for resource in deployed.of_type(typ):
            assert 0 < len(resource.inputs[key]) <= limit, (resource.name, key)
    for alarm in deployed.of_type(ALARM):
        assert alarm.inputs["period"] in (10, 30) or alarm.inputs["period"] % 60 == 0
    assert all(len(query.inputs["name"]) <= 255 for query in deployed.of_type(QUERY))


def write_logs_policy(deployed: Run) -> str:
    """The role's own policy (logs and the failed queue); the notifications' policy is separate."""
    (policy,) = [p.inputs["policy"] for p in deployed.of_type(ROLE_POLICY) if p.name.endswith("-write-logs")]
    return policy
