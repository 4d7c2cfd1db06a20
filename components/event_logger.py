"""The component: an EventBridge rule for a cluster's task events and the Lambda that logs them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pulumi
import pulumi_aws as aws

from . import validation
from .event_pattern import pattern_json, task_state_change_pattern
from .iam_policies import lambda_trust_policy, log_writer_policy
from .lambda_package import ENTRY_POINT, handler_archive

RUNTIME = "python3.13"
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class EcsTaskEventLoggerArgs:
    """Settings of one logger; every field but the clusters has a production default."""

    cluster_arns: Sequence[str]
    log_retention_days: int = 30
    log_level: str = "INFO"
    # WARN keeps Lambda's START/END/REPORT lines out of the log group: they
    # would cost more than the records themselves. Lambda's metrics stay.
    system_log_level: str = "WARN"
    memory_size_mb: int = 128
    architecture: str = "arm64"
    timeout_seconds: int = 5
    tags: Mapping[str, str] = field(default_factory=dict)

    def validated(self) -> EcsTaskEventLoggerArgs:
        """A normalised copy; raises ValueError naming the argument and the fix."""
        return EcsTaskEventLoggerArgs(
            cluster_arns=_checked("cluster_arns", validation.check_cluster_arns, self.cluster_arns),
            log_retention_days=_checked("log_retention_days", validation.check_retention_days, self.log_retention_days),
            log_level=_checked("log_level", validation.check_log_level, self.log_level),
            system_log_level=_checked(
                "system_log_level",
                lambda value: validation.check_log_level(value, validation.SYSTEM_LOG_LEVELS),
                self.system_log_level,
            ),
            memory_size_mb=_checked("memory_size_mb", validation.check_memory_mb, self.memory_size_mb),
            architecture=_checked("architecture", validation.check_architecture, self.architecture),
            timeout_seconds=_checked("timeout_seconds", validation.check_timeout_seconds, self.timeout_seconds),
            tags=_checked("tags", validation.check_tags, self.tags),
        )


def _checked(name: str, check: Callable[[T], R], value: T) -> R:
    try:
        return check(value)
    except ValueError as error:
        raise ValueError(f"EcsTaskEventLoggerArgs.{name}: {error}") from None


class EcsTaskEventLogger(pulumi.ComponentResource):
    """Logs every ECS task state change of the given clusters to CloudWatch Logs."""

    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    rule_name: pulumi.Output[str]
    rule_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    event_pattern: pulumi.Output[str]
    tail_logs_command: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: EcsTaskEventLoggerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Validate before registering anything, so bad input leaves nothing half-created.
        settings = args.validated()
        super().__init__("ecs-task-events:index:EcsTaskEventLogger", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(settings.tags)

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            retention_in_days=settings.log_retention_days,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=lambda_trust_policy(),
            description="Runs the ecs-task-events logger; may write to its own log group only.",
            tags=tags,
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-write-logs",
            role=role.id,
            policy=log_group.arn.apply(log_writer_policy),
            opts=child,
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
            tags=tags,
            # The role must be able to write logs before the first event arrives.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        pattern = pattern_json(task_state_change_pattern(settings.cluster_arns))
        rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            description="ECS task state changes of the listed clusters, for the ecs-task-events logger.",
            event_pattern=pattern,
            state="ENABLED",
            tags=tags,
            opts=child,
        )
        permission = aws.lambda_.Permission(
            f"{name}-invoke",
            function=function.name,
            action="lambda:InvokeFunction",
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            source_account=rule.arn.apply(_account_of),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=rule.name,
            arn=function.arn,
            # EventBridge may only deliver once it is allowed to invoke.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )

        self.function_name = function.name
        self.function_arn = function.arn
        self.log_group_name = log_group.name
        self.rule_name = rule.name
        self.rule_arn = rule.arn
        self.role_arn = role.arn
        self.event_pattern = pulumi.Output.from_input(pattern)
        self.tail_logs_command = pulumi.Output.all(log_group.name, log_group.arn).apply(
            lambda values: f"aws logs tail {values[0]} --follow --region {_region_of(values[1])}"
        )
        self.register_outputs(
            {
                "functionName": self.function_name,
                "functionArn": self.function_arn,
                "logGroupName": self.log_group_name,
                "ruleName": self.rule_name,
                "ruleArn": self.rule_arn,
                "roleArn": self.role_arn,
                "eventPattern": self.event_pattern,
                "tailLogsCommand": self.tail_logs_command,
            }
        )


def _account_of(arn: str) -> str:
    """The account id field of an ARN (arn:partition:service:region:ACCOUNT:resource)."""
    return arn.split(":")[4]


def _region_of(arn: str) -> str:
    return arn.split(":")[3]
