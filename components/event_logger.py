"""The component: an EventBridge rule for a cluster's task events and the Lambda that logs them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi
import pulumi_aws as aws

from . import alarms, dashboard, delivery, validation
from . import notifications as notification_parts
from .event_pattern import all_clusters_pattern, pattern_json, split_patterns
from .iam_policies import function_policy, lambda_trust_policy
from .lambda_package import ENTRY_POINT, handler_archive
from .queries import QUERIES

RUNTIME = "python3.13"
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class EcsTaskEventLoggerArgs:
    """Settings of one logger; every field but the clusters has a production default."""

    # The clusters to log: a list of ARNs, or every cluster of one account and region by ARN prefix.
    cluster_arns: Sequence[str] = ()
    all_clusters_prefix: str | None = None
    log_retention_days: int = 30
    log_level: str = "INFO"
    # WARN keeps Lambda's START/END/REPORT lines out of the log group: they
    # would cost more than the records themselves. Lambda's metrics stay.
    system_log_level: str = "WARN"
    memory_size_mb: int = 128
    architecture: str = "arm64"
    timeout_seconds: int = 5
    tags: Mapping[str, str] = field(default_factory=dict)
    # Lose no event: dead-letter queues and retries (AWS's maxima by default).
    dead_letter_queues: bool = True
    delivery_retry_attempts: int = 185
    delivery_max_event_age_seconds: int = 86400
    function_retry_attempts: int = 2
    function_max_event_age_seconds: int = 21600
    # Tell someone: alarms to a new SNS topic, or to an existing one.
    alarms: bool = True
    alarm_topic_arn: str | None = None
    alert_email: str | None = None
    saved_queries: bool = True
    # Per-service (Group) metric dimensions: on for cluster lists, off for all_clusters_prefix unless set,
    # since CloudWatch disables a metric filter past 1,000 distinct dimension values an hour.
    group_metrics: bool | None = None
    # A CloudWatch dashboard of the fleet and the logger (components/dashboard.py).
    dashboard: bool = True
    # Also service actions and deployment state changes of the same clusters (components/event_pattern.py).
    service_events: bool = True
    # A message per failed task, deployment and service action to the alarm topic; None: on when alarms are.
    notifications: bool | None = None
    notification_window_minutes: int = 10
    # A Slack channel for the alarm topic, through Amazon Q Developer in chat applications.
    slack_workspace_id: str | None = None
    slack_channel_id: str | None = None

    def validated(self) -> EcsTaskEventLoggerArgs:
        """A normalised copy; raises ValueError naming the argument and the fix."""
        if self.alert_email is not None and not self.alarms:
            raise ValueError("EcsTaskEventLoggerArgs.alert_email: an alert email needs alarms=True")
        if self.all_clusters_prefix is not None and self.cluster_arns:
            raise ValueError(
                "EcsTaskEventLoggerArgs: give cluster_arns or all_clusters_prefix, not both "
                "(the prefix already takes every cluster of the account and region)"
            )
        checked = EcsTaskEventLoggerArgs(
            cluster_arns=(
                ()
                if self.all_clusters_prefix is not None
                else _checked("cluster_arns", validation.check_cluster_arns, self.cluster_arns)
            ),
            all_clusters_prefix=_optional(
                "all_clusters_prefix", validation.check_cluster_arn_prefix, self.all_clusters_prefix
            ),
            log_retention_days=_checked("log_retention_days", validation.check_retention_days, self.log_retention_days),
            log_level=_checked("log_level", validation.check_log_level, self.log_level),
            system_log_level=_checked("system_log_level", validation.check_system_log_level, self.system_log_level),
            memory_size_mb=_checked("memory_size_mb", validation.check_memory_mb, self.memory_size_mb),
            architecture=_checked("architecture", validation.check_architecture, self.architecture),
            timeout_seconds=_checked("timeout_seconds", validation.check_timeout_seconds, self.timeout_seconds),
            tags=_checked("tags", validation.check_tags, self.tags),
            dead_letter_queues=_checked("dead_letter_queues", validation.check_boolean, self.dead_letter_queues),
            delivery_retry_attempts=_checked(
                "delivery_retry_attempts", validation.check_delivery_retry_attempts, self.delivery_retry_attempts
            ),
            delivery_max_event_age_seconds=_checked(
                "delivery_max_event_age_seconds",
                validation.check_delivery_max_event_age,
                self.delivery_max_event_age_seconds,
            ),
            function_retry_attempts=_checked(
                "function_retry_attempts", validation.check_function_retry_attempts, self.function_retry_attempts
            ),
            function_max_event_age_seconds=_checked(
                "function_max_event_age_seconds",
                validation.check_function_max_event_age,
                self.function_max_event_age_seconds,
            ),
            alarms=_checked("alarms", validation.check_boolean, self.alarms),
            alarm_topic_arn=_optional("alarm_topic_arn", validation.check_alarm_topic_arn, self.alarm_topic_arn),
            alert_email=_optional("alert_email", validation.check_email, self.alert_email),
            saved_queries=_checked("saved_queries", validation.check_boolean, self.saved_queries),
            group_metrics=(
                self.all_clusters_prefix is None
                if self.group_metrics is None
                else _checked("group_metrics", validation.check_boolean, self.group_metrics)
            ),
            dashboard=_checked("dashboard", validation.check_boolean, self.dashboard),
            service_events=_checked("service_events", validation.check_boolean, self.service_events),
            **notification_parts.checked_settings(self, _checked),
        )
        if checked.alarms and checked.log_level in validation.SILENCES_ABNORMAL_STOPS:
            raise ValueError(
                f"EcsTaskEventLoggerArgs.log_level: {checked.log_level} writes no ERROR records, so the abnormal-stop "
                "alarm could never fire; use ERROR or a more verbose level, or alarms=False"
            )
        return checked


def _checked(name: str, check: Callable[[T], R], value: T) -> R:
    try:
        return check(value)
    except ValueError as error:
        raise ValueError(f"EcsTaskEventLoggerArgs.{name}: {error}") from None


def _optional(name: str, check: Callable[[T], R], value: T | None) -> R | None:
    return None if value is None else _checked(name, check, value)


class EcsTaskEventLogger(pulumi.ComponentResource):
    """Logs every ECS task state change of the given clusters to CloudWatch Logs, and loses none."""

    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    rule_name: pulumi.Output[str]
    rule_arn: pulumi.Output[str]
    rule_names: pulumi.Output[list[str]]
    rule_arns: pulumi.Output[list[str]]
    role_arn: pulumi.Output[str]
    event_pattern: pulumi.Output[str]
    tail_logs_command: pulumi.Output[str]
    dead_letter_queue_url: pulumi.Output[str] | None
    failed_events_queue_url: pulumi.Output[str] | None
    alarm_topic_arn: pulumi.Output[str] | None
    alarm_names: pulumi.Output[list[str]] | None
    query_names: list[str] | None
    log_group_url: pulumi.Output[str]
    logs_insights_url: pulumi.Output[str]
    dashboard_url: pulumi.Output[str] | None
    notification_table_name: pulumi.Output[str] | None
    slack_channel_configuration_arn: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        args: EcsTaskEventLoggerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Validate before registering anything, so bad input leaves nothing half-created.
        settings = args.validated()
        if settings.all_clusters_prefix is not None:
            patterns = {0: pattern_json(all_clusters_pattern(settings.all_clusters_prefix, settings.service_events))}
        else:
            patterns = _checked(
                "cluster_arns", lambda arns: split_patterns(arns, settings.service_events), settings.cluster_arns
            )
        super().__init__("ecs-task-events:index:EcsTaskEventLogger", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(settings.tags)

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            retention_in_days=settings.log_retention_days,
            tags=tags,
            opts=child,
        )
        rule_dlq = failed_events = None
        if settings.dead_letter_queues:
            rule_dlq = delivery.dead_letter_queue(f"{name}-undelivered", tags, self)
            failed_events = delivery.dead_letter_queue(f"{name}-failed", tags, self)
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=lambda_trust_policy(),
            description="Runs the ecs-task-events logger; writes its log group, failed queue, alarm topic, table only.",
            tags=tags,
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-write-logs",
            role=role.id,
            policy=pulumi.Output.all(log_group.arn, failed_events.arn if failed_events else None).apply(
                lambda arns: function_policy(*arns)
            ),
            opts=child,
        )
        topic_arn = self._alarm_topic(name, settings, tags) if settings.alarms else None
        notify = None
        if settings.notifications and topic_arn is not None:
            notify = notification_parts.Notifications(
                name, settings, topic_arn=topic_arn, log_group=log_group, role=role, tags=tags, parent=self
            )
        function = aws.lambda_.Function(
            f"{name}-function",
            description="Writes one concise log record per ECS task state change.",
            runtime=RUNTIME,
            handler=ENTRY_POINT,
            code=handler_archive(),
            role=role.arn,
            architectures=[settings.architecture],
            memory_size=settings.memory_size_mb,
            timeout=settings.timeout_seconds,
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=log_group.name,
                application_log_level=settings.log_level,
                system_log_level=settings.system_log_level,
            ),
            environment=notify.environment if notify else None,
            tags=tags,
            # The role must be able to write logs (and send messages) before the first event arrives.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, *([notify.policy] if notify else [])]),
        )
        delivery.async_invoke_config(
            f"{name}-async",
            function,
            retry_attempts=settings.function_retry_attempts,
            max_event_age_seconds=settings.function_max_event_age_seconds,
            failed_events_queue=failed_events,
            parent=self,
        )
        rules = [
            self._rule(name, index, pattern, function, rule_dlq=rule_dlq, settings=settings, tags=tags)
            for index, pattern in patterns.items()
        ]
        if rule_dlq is not None and failed_events is not None:
            delivery.allow_rules_to_send(f"{name}-undelivered-policy", rule_dlq, rules, self)
            delivery.allow_role_to_send(f"{name}-failed-policy", failed_events, role, self)

        self.function_name = function.name
        self.function_arn = function.arn
        self.log_group_name = log_group.name
        self.rule_name = rules[0].name
        self.rule_arn = rules[0].arn
        self.rule_names = pulumi.Output.all(*(rule.name for rule in rules))
        self.rule_arns = pulumi.Output.all(*(rule.arn for rule in rules))
        self.role_arn = role.arn
        self.event_pattern = pulumi.Output.from_input(patterns[min(patterns)])
        self.tail_logs_command = pulumi.Output.all(log_group.name, log_group.arn).apply(
            lambda values: f"aws logs tail {values[0]} --follow --region {_region_of(values[1])}"
        )
        self.dead_letter_queue_url = rule_dlq.url if rule_dlq is not None else None
        self.failed_events_queue_url = failed_events.url if failed_events is not None else None
        self.alarm_topic_arn = self.alarm_names = None
        created_alarms = []
        if topic_arn is not None:
            created_alarms = self._alarms(
                name,
                settings,
                topic_arn,
                log_group,
                function,
                rule_dlq=rule_dlq,
                failed_events=failed_events,
                tags=tags,
            )
        self.notification_table_name = notify.table.name if notify else None
        self.slack_channel_configuration_arn = notify.slack_channel_arn if notify else None
        self._views(name, settings, log_group, function, queues=(rule_dlq, failed_events), alarms=created_alarms)
        self.register_outputs(self.stack_outputs())

    def _views(
        self,
        name: str,
        settings: EcsTaskEventLoggerArgs,
        log_group: aws.cloudwatch.LogGroup,
        function: aws.lambda_.Function,
        *,
        queues: tuple[aws.sqs.Queue | None, aws.sqs.Queue | None],
        alarms: list[aws.cloudwatch.MetricAlarm],
    ) -> None:
        """Where people look: the saved queries, the console links and the dashboard."""
        self.query_names = self._queries(name, log_group) if settings.saved_queries else None
        self.log_group_url, self.logs_insights_url = dashboard.console_links_of(log_group)
        self.dashboard_url = None
        if settings.dashboard:
            self.dashboard_url = dashboard.create(
                name,
                log_group=log_group,
                function=function,
                queues=queues,
                alarms=alarms,
                saved_query_names=self.query_names,
                settings=dashboard.settings_of(settings),
                parent=self,
            )

    def stack_outputs(self) -> dict[str, Any]:
        """The outputs a stack exports, by their camelCase names; the parts switched off have none."""
        outputs = {
            "functionName": self.function_name,
            "functionArn": self.function_arn,
            "logGroupName": self.log_group_name,
            "ruleName": self.rule_name,  # the first rule; ruleNames lists them all
            "ruleArn": self.rule_arn,
            "ruleNames": self.rule_names,
            "ruleArns": self.rule_arns,
            "roleArn": self.role_arn,
            "eventPattern": self.event_pattern,
            "tailLogsCommand": self.tail_logs_command,
            "logGroupUrl": self.log_group_url,
            "logsInsightsUrl": self.logs_insights_url,
            "deadLetterQueueUrl": self.dead_letter_queue_url,
            "failedEventsQueueUrl": self.failed_events_queue_url,
            "alarmTopicArn": self.alarm_topic_arn,
            "alarmNames": self.alarm_names,
            "queryNames": self.query_names,
            "dashboardUrl": self.dashboard_url,
            "notificationTableName": self.notification_table_name,
            "slackChannelConfigurationArn": self.slack_channel_configuration_arn,
        }
        return {key: value for key, value in outputs.items() if value is not None}

    def _rule(
        self,
        name: str,
        index: int,
        pattern: str,
        function: aws.lambda_.Function,
        *,
        rule_dlq: aws.sqs.Queue | None,
        settings: EcsTaskEventLoggerArgs,
        tags: Mapping[str, str],
    ) -> aws.cloudwatch.EventRule:
        """One rule with its own permission and target; rule 0 keeps the names a single-rule stack had."""
        suffix = "" if index == 0 else f"-{index}"
        rule = aws.cloudwatch.EventRule(
            f"{name}-rule{suffix}",
            description="ECS task state changes of the listed clusters, for the ecs-task-events logger.",
            event_pattern=pattern,
            state="ENABLED",
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        permission = aws.lambda_.Permission(
            f"{name}-invoke{suffix}",
            function=function.name,
            action="lambda:InvokeFunction",
            principal="events.amazonaws.com",
            # The rule's ARN names the account; a SourceAccount condition would stop
            # EventBridge from invoking at all (see iam_policies.eventbridge_invoke_statement).
            source_arn=rule.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target{suffix}",
            rule=rule.name,
            arn=function.arn,
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_retry_attempts=settings.delivery_retry_attempts,
                maximum_event_age_in_seconds=settings.delivery_max_event_age_seconds,
            ),
            dead_letter_config=(
                aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=rule_dlq.arn) if rule_dlq is not None else None
            ),
            # EventBridge may only deliver once it is allowed to invoke.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        return rule

    def _alarm_topic(self, name: str, settings: EcsTaskEventLoggerArgs, tags: Mapping[str, str]) -> pulumi.Output[str]:
        if settings.alarm_topic_arn:
            return pulumi.Output.from_input(settings.alarm_topic_arn)
        return aws.sns.Topic(f"{name}-alerts", tags=tags, opts=pulumi.ResourceOptions(parent=self)).arn

    def _alarms(
        self,
        name: str,
        settings: EcsTaskEventLoggerArgs,
        topic_arn: pulumi.Output[str],
        log_group: aws.cloudwatch.LogGroup,
        function: aws.lambda_.Function,
        *,
        rule_dlq: aws.sqs.Queue | None,
        failed_events: aws.sqs.Queue | None,
        tags: Mapping[str, str],
    ) -> list[aws.cloudwatch.MetricAlarm]:
        if settings.alert_email:
            aws.sns.TopicSubscription(
                f"{name}-alert-email",
                topic=topic_arn,
                protocol="email",
                endpoint=settings.alert_email,
                opts=pulumi.ResourceOptions(parent=self),
            )
        alarms.metric_filters(name, log_group, self, group_metrics=bool(settings.group_metrics))
        specs = [*alarms.function_alarms(function), alarms.abnormal_stop_alarm(log_group)]
        if rule_dlq is not None and failed_events is not None:
            specs.append(
                alarms.queue_alarm("undelivered", "ECS events could not be delivered to the logger.", rule_dlq)
            )
            specs.append(
                alarms.queue_alarm("failed", "The logger failed on ECS events, even after retries.", failed_events)
            )
        created = [alarms.alarm(name, spec, topic_arn, tags, self) for spec in specs]
        self.alarm_topic_arn = topic_arn
        self.alarm_names = pulumi.Output.all(*(alarm.name for alarm in created))
        return created

    def _queries(self, name: str, log_group: aws.cloudwatch.LogGroup) -> list[str]:
        folder = f"ecs-task-events/{pulumi.get_stack()}-{name}"
        for key, query in QUERIES.items():
            aws.cloudwatch.QueryDefinition(
                f"{name}-query-{key}",
                name=f"{folder}/{key}",
                query_string=query,
                log_group_names=[log_group.name],
                opts=pulumi.ResourceOptions(parent=self),
            )
        return [f"{folder}/{key}" for key in QUERIES]


def _region_of(arn: str) -> str:
    return arn.split(":")[3]
