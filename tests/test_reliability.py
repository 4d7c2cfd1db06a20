"""Lose no event and tell someone: dead-letter queues, retries, alarms, metric filters, saved queries."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from arn_like import admits
from config_refusals import cli_refusal, config_error
from insights_fields import handler_records, member_records, unknown_fields, written_fields
from test_handler import EXPECTED

from components import ConfigError, EcsTaskEventLogger, EcsTaskEventLoggerArgs
from components.alarms import (
    ABNORMAL_STOPS,
    ABNORMAL_STOPS_BY_GROUP,
    IMAGE_PULL,
    LOG_METRICS,
    METRIC_NAMESPACE,
    TASK_STARTUP,
)
from components.queries import QUERIES
from rehearse.filter_patterns import matches
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, RecordingMocks, Run, run, run_program, stack_config

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
RULE = "aws:cloudwatch/eventRule:EventRule"
PERMISSION = "aws:lambda/permission:Permission"
FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
QUERY = "aws:cloudwatch/queryDefinition:QueryDefinition"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
OTHER_CLUSTER = CLUSTER_ARN.replace("/demo", "/batch")


def build(**overrides: Any) -> Run:
    def program() -> None:
        EcsTaskEventLogger("orders", EcsTaskEventLoggerArgs(**{"cluster_arns": [CLUSTER_ARN], **overrides}))

    return run(program)


@pytest.fixture(scope="module")
def deployed() -> Run:
    return build(cluster_arns=[CLUSTER_ARN, OTHER_CLUSTER])


def named(run: Run, typ: str, name: str) -> Any:
    (found,) = [r for r in run.of_type(typ) if r.name == name]
    return found


def test_queues_are_encrypted_and_keep_messages_fourteen_days(deployed: Run) -> None:
    queues = deployed.of_type(QUEUE)
    assert sorted(q.name for q in queues) == ["orders-failed", "orders-undelivered"]
    for queue in queues:
        assert queue.inputs["sqsManagedSseEnabled"] is True
        assert queue.inputs["messageRetentionSeconds"] == 14 * 24 * 3600


def test_rule_target_retries_then_parks_in_the_undelivered_queue(deployed: Run) -> None:
    target = deployed.one(TARGET).inputs
    undelivered = named(deployed, QUEUE, "orders-undelivered").outputs
    assert target["deadLetterConfig"] == {"arn": undelivered["arn"]}
    assert target["retryPolicy"] == {"maximumRetryAttempts": 185, "maximumEventAgeInSeconds": 86400}


def test_only_this_rule_may_send_to_the_undelivered_queue(deployed: Run) -> None:
    undelivered = named(deployed, QUEUE, "orders-undelivered").outputs
    policy = named(deployed, QUEUE_POLICY, "orders-undelivered-policy").inputs
    assert policy["queueUrl"] == undelivered["url"]
    (statement,) = json.loads(policy["policy"])["Statement"]
    assert statement == {
        "Sid": "EventBridgeDeadLetters",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": undelivered["arn"],
        "Condition": {"ArnLike": {"aws:SourceArn": deployed.one(PERMISSION).inputs["sourceArn"]}},
    }
    assert admits(statement["Condition"]["ArnLike"]["aws:SourceArn"], deployed.one(RULE).outputs["arn"])


def test_failed_invocations_go_to_the_other_queue(deployed: Run) -> None:
    failed = named(deployed, QUEUE, "orders-failed").outputs
    config = deployed.one(INVOKE_CONFIG).inputs
    assert config["functionName"] == deployed.one(FUNCTION).outputs["name"]
    assert config["maximumRetryAttempts"] == 2
    assert config["maximumEventAgeInSeconds"] == 21600
    assert config["destinationConfig"] == {"onFailure": {"destination": failed["arn"]}}
    assert failed["arn"] != named(deployed, QUEUE, "orders-undelivered").outputs["arn"]
    (statement,) = json.loads(named(deployed, QUEUE_POLICY, "orders-failed-policy").inputs["policy"])["Statement"]
    assert statement["Principal"] == {"AWS": deployed.one(ROLE).outputs["arn"]}
    assert (statement["Action"], statement["Resource"]) == ("sqs:SendMessage", failed["arn"])


def test_retry_settings_reach_the_resources() -> None:
    tuned = build(
        delivery_retry_attempts=0,
        delivery_max_event_age_seconds=60,
        function_retry_attempts=1,
        function_max_event_age_seconds=3600,
    )
    assert tuned.one(TARGET).inputs["retryPolicy"] == {"maximumRetryAttempts": 0, "maximumEventAgeInSeconds": 60}
    config = tuned.one(INVOKE_CONFIG).inputs
    assert (config["maximumRetryAttempts"], config["maximumEventAgeInSeconds"]) == (1, 3600)


def alarms_by_name(run: Run) -> dict[str, dict[str, Any]]:
    return {alarm.name.removeprefix("orders-").removesuffix("-alarm"): alarm.inputs for alarm in run.of_type(ALARM)}


def test_every_alarm_fires_on_the_first_occurrence_and_ignores_silence(deployed: Run) -> None:
    alarms = alarms_by_name(deployed)
    assert set(alarms) == {"undelivered", "failed", "function-errors", "function-throttles", "abnormal-stops"}
    topic = deployed.one(TOPIC).outputs["arn"]
    for alarm in alarms.values():
        assert alarm["threshold"] == 0
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        assert alarm["evaluationPeriods"] == 1
        assert alarm["treatMissingData"] == "notBreaching"
        assert alarm["alarmActions"] == [topic]
        assert len(alarm["alarmDescription"]) > 40


def test_alarm_metrics_and_dimensions(deployed: Run) -> None:
    alarms = alarms_by_name(deployed)
    queues = {q.name.removeprefix("orders-"): q.outputs["name"] for q in deployed.of_type(QUEUE)}
    function = deployed.one(FUNCTION).outputs["name"]
    own_namespace = f"{METRIC_NAMESPACE}/{deployed.one(LOG_GROUP).outputs['name']}"
    expected = {
        "undelivered": (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "Maximum",
            {"QueueName": queues["undelivered"]},
        ),
        "failed": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", {"QueueName": queues["failed"]}),
        "function-errors": ("AWS/Lambda", "Errors", "Sum", {"FunctionName": function}),
        "function-throttles": ("AWS/Lambda", "Throttles", "Sum", {"FunctionName": function}),
        # One alarm for all the logger's clusters, in a namespace of its own: no other logger's stops count.
        "abnormal-stops": (own_namespace, "AbnormalTaskStops", "Sum", None),
    }
    for key, (namespace, metric, statistic, dimensions) in expected.items():
        alarm = alarms[key]
        assert (alarm["namespace"], alarm["metricName"], alarm["statistic"], alarm.get("dimensions")) == (
            namespace,
            metric,
            statistic,
            dimensions,
        ), key


def test_metric_filters_publish_what_the_alarms_and_dashboards_read(deployed: Run) -> None:
    group = deployed.one(LOG_GROUP).outputs["name"]
    filters = {f.name.removeprefix("orders-").removesuffix("-filter"): f.inputs for f in deployed.of_type(FILTER)}
    assert set(filters) == {metric.key for metric in LOG_METRICS}
    for metric in LOG_METRICS:
        inputs = filters[metric.key]
        assert inputs["logGroupName"] == group
        assert inputs["pattern"] == metric.pattern
        transformation = inputs["metricTransformation"]
        expected_namespace = f"{METRIC_NAMESPACE}/{group}" if metric.per_logger else METRIC_NAMESPACE
        assert transformation["namespace"] == expected_namespace
        assert transformation["name"] == metric.metric
        assert transformation["value"] == metric.value
        assert transformation["unit"] == metric.unit
        assert transformation.get("dimensions") == (dict(metric.dimensions) or None)
    # The alarm reads the metric the per-logger filter writes, under the same name and namespace.
    alarm = alarms_by_name(deployed)["abnormal-stops"]
    own = filters["abnormal-stops"]["metricTransformation"]
    assert (alarm["namespace"], alarm["metricName"]) == (own["namespace"], own["name"])
    assert filters["abnormal-stops-by-group"]["metricTransformation"]["dimensions"] == {
        "Cluster": "$.clusterArn",
        "Group": "$.group",
    }


RECORDS = handler_records()
MEMBER_RECORDS = member_records()  # organisation mode: the fields a member account's records add


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_abnormal_stop_filter_matches_exactly_the_abnormal_records(name: str) -> None:
    abnormal = EXPECTED[name][1] is True
    assert matches(ABNORMAL_STOPS.pattern, RECORDS[name]) is abnormal


def test_duration_filters_match_running_records_with_timings_only() -> None:
    with_timings = {name for name, line in RECORDS.items() if "startupSeconds" in json.loads(line)}
    up = {
        name
        for name, line in RECORDS.items()
        if (json.loads(line).get("lastStatus"), json.loads(line).get("desiredStatus")) == ("RUNNING", "RUNNING")
    }
    assert with_timings <= up  # the handler writes the timings on the record where the task came up, no other
    for metric in (TASK_STARTUP, IMAGE_PULL):
        matched = {name for name, line in RECORDS.items() if matches(metric.pattern, line)}
        assert matched == with_timings
        assert "task_running" in matched
        assert "task_stopped_oom" not in matched


def test_filter_values_and_dimensions_exist_in_the_records() -> None:
    running = json.loads(RECORDS["task_running"])
    stopped = json.loads(RECORDS["task_stopped_oom"])
    for metric, record in (
        (TASK_STARTUP, running),
        (IMAGE_PULL, running),
        (ABNORMAL_STOPS, stopped),
        (ABNORMAL_STOPS_BY_GROUP, stopped),
    ):
        for selector in [metric.value, *metric.dimensions.values()]:
            if selector.startswith("$."):
                assert selector[2:] in record, (metric.metric, selector)


def test_every_field_a_filter_pattern_reads_is_one_the_handler_writes() -> None:
    written: set[str] = set()
    for line in RECORDS.values():
        written |= set(json.loads(line))
    for metric in LOG_METRICS:
        read = set(re.findall(r"\$\.(\w+)", metric.pattern))
        assert read and read <= written, (metric.key, sorted(read - written))


def test_saved_queries_use_only_fields_the_handler_writes(deployed: Run) -> None:
    known = written_fields([*RECORDS.values(), *MEMBER_RECORDS.values()])
    for key, query in QUERIES.items():
        unknown = unknown_fields(query, known)
        assert not unknown, f"{key} uses fields the handler never writes: {sorted(unknown)}"
    definitions = {q.inputs["name"]: q.inputs for q in deployed.of_type(QUERY)}
    group = deployed.one(LOG_GROUP).outputs["name"]
    assert sorted(definitions) == sorted(f"ecs-task-events/dev-orders/{key}" for key in QUERIES)
    for definition in definitions.values():
        assert definition["logGroupNames"] == [group]
        assert definition["queryString"] in QUERIES.values()


def test_existing_topic_and_email_subscription() -> None:
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall"
    wired = build(alarm_topic_arn=topic, alert_email="oncall@example.com")
    assert wired.of_type(TOPIC) == []
    assert {tuple(alarm.inputs["alarmActions"]) for alarm in wired.of_type(ALARM)} == {(topic,)}
    subscription = wired.one(SUBSCRIPTION).inputs
    assert (subscription["topic"], subscription["protocol"], subscription["endpoint"]) == (
        topic,
        "email",
        "oncall@example.com",
    )


def test_new_topic_gets_the_email_subscription() -> None:
    wired = build(alert_email="oncall@example.com")
    assert wired.one(SUBSCRIPTION).inputs["topic"] == wired.one(TOPIC).outputs["arn"]


def test_parts_can_be_switched_off() -> None:
    bare = build(dead_letter_queues=False, alarms=False, saved_queries=False)
    for typ in (QUEUE, QUEUE_POLICY, ALARM, FILTER, TOPIC, QUERY):
        assert bare.of_type(typ) == [], typ
    assert bare.one(INVOKE_CONFIG).inputs["maximumRetryAttempts"] == 2  # retries stay on
    no_queues_but_alarms = alarms_by_name(build(dead_letter_queues=False))
    assert "undelivered" not in no_queues_but_alarms and "function-errors" in no_queues_but_alarms


BAD_CONFIG = {
    "email": ({"alertEmail": "oncall"}, "'oncall' is not an email address"),
    "email with spaces": ({"alertEmail": "on call@example.com"}, "is not an email address"),
    "topic ARN": ({"alarmTopicArn": "oncall"}, "'oncall' is not an SNS topic ARN"),
    "queue ARN as topic": (
        {"alarmTopicArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:oncall"},
        "is not an SNS topic ARN",
    ),
    "topic elsewhere": (
        {"alarmTopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:oncall"},
        "the topic is in us-east-1 but this stack deploys to eu-west-1",
    ),
    "target retries high": ({"deliveryRetryAttempts": "186"}, "186 is outside what AWS accepts"),
    "target retries negative": ({"deliveryRetryAttempts": "-1"}, "-1 is outside what AWS accepts"),
    "target age low": ({"deliveryMaxEventAgeSeconds": "59"}, "use 60 to 86400"),
    "target age high": ({"deliveryMaxEventAgeSeconds": "86401"}, "use 60 to 86400"),
    "function retries": ({"functionRetryAttempts": "3"}, "use 0 to 2"),
    "function age low": ({"functionMaxEventAgeSeconds": "59"}, "use 60 to 21600"),
    "function age high": ({"functionMaxEventAgeSeconds": "21601"}, "use 60 to 21600"),
    "email without alarms": (
        {"alarms": "false", "alertEmail": "oncall@example.com"},
        "alertEmail is set but ecs-task-events:alarms is false",
    ),
}


@pytest.mark.parametrize("case", BAD_CONFIG, ids=list(BAD_CONFIG))
def test_bad_reliability_config_fails_before_anything_is_created(case: str) -> None:
    values, complaint = BAD_CONFIG[case]
    mocks = RecordingMocks()
    with pytest.raises(ConfigError) as raised:
        run_program(stack_config(clusterArn=CLUSTER_ARN, **values), mocks)
    message = str(raised.value)
    assert complaint in message
    assert "Fix: pulumi config" in message
    assert mocks.resources == []


def test_a_switch_that_is_not_true_or_false_meets_the_cli_first_then_the_program() -> None:
    """ValidateConfigValue (pulumi/pulumi sdk/go/common/workspace/project.go) takes a boolean or the strings
    "true" and "false" only; past the CLI the program refuses the same value with its fix."""
    config = stack_config(clusterArn=CLUSTER_ARN, deadLetterQueues="yes")
    assert "configuration key 'deadLetterQueues' must be of type 'boolean'" in cli_refusal(config)
    message = config_error(config, past_the_cli=True)
    assert "'yes' is not true or false" in message and "Fix: pulumi config set deadLetterQueues true" in message


def test_reliability_config_reaches_the_resources() -> None:
    deployed = run_program(
        stack_config(
            clusterArn=CLUSTER_ARN,
            deliveryRetryAttempts="10",
            deliveryMaxEventAgeSeconds="3600",
            functionRetryAttempts="0",
            functionMaxEventAgeSeconds="600",
            alarmTopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall",
            alertEmail="oncall@example.com",
            savedQueries="false",
        )
    )
    assert deployed.one(TARGET).inputs["retryPolicy"] == {"maximumRetryAttempts": 10, "maximumEventAgeInSeconds": 3600}
    config = deployed.one(INVOKE_CONFIG).inputs
    assert (config["maximumRetryAttempts"], config["maximumEventAgeInSeconds"]) == (0, 600)
    assert deployed.outputs["alarmTopicArn"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall"
    assert "queryNames" not in deployed.outputs
    assert deployed.of_type(QUERY) == []


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"delivery_retry_attempts": 200}, "delivery_retry_attempts: 200 is outside"),
        ({"function_max_event_age_seconds": 30}, "function_max_event_age_seconds: 30 is outside"),
        ({"alert_email": "nobody"}, "alert_email: 'nobody' is not an email address"),
        ({"alert_email": "a@b.co", "alarms": False}, "an alert email needs alarms=True"),
        ({"alarm_topic_arn": "arn:aws:sns:eu-west-1:1:x"}, "is not an SNS topic ARN"),
        ({"dead_letter_queues": "yes"}, "dead_letter_queues: 'yes' is not true or false"),
    ],
)
def test_bad_component_arguments_are_refused(overrides: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValueError, match="EcsTaskEventLoggerArgs") as raised:
        EcsTaskEventLoggerArgs(cluster_arns=[CLUSTER_ARN], **overrides).validated()
    assert complaint in str(raised.value)


def test_a_timeout_too_short_for_messages_is_refused_with_its_fix() -> None:
    """The handler starts an AWS call only if it can still mark its claim failed (handler/notify.py, Deadline)."""
    message = config_error(stack_config(clusterArn=CLUSTER_ARN, timeoutSeconds="3"))
    assert "ecs-task-events:timeoutSeconds = '3': 3 s is too short to send on-call messages" in message
    assert "Fix: pulumi config set timeoutSeconds 5, or pulumi config set notifications false" in message
    assert run_program(stack_config(clusterArn=CLUSTER_ARN, timeoutSeconds="3", notifications="false")).outputs
    with pytest.raises(ValueError, match="timeout_seconds: 3 s is too short to send a message"):
        EcsTaskEventLoggerArgs(cluster_arns=[CLUSTER_ARN], timeout_seconds=3).validated()
