"""Messages to on-call: the state table, the function's extra permissions and settings, and a Slack channel.

The function (handler/notify.py) publishes one message per failed task, failed deployment or service action
that needs a person to the alarm topic. It keeps what it sent in a DynamoDB table (on demand, with a TTL):
DynamoDB's conditional writes are what let concurrent instances agree that a message went out once, and that a
service's next message waits out the window. The role may publish to that topic and update that table, nothing
else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

if TYPE_CHECKING:
    from .event_logger import EcsTaskEventLoggerArgs

# The handler's environment variables (handler/notify.py reads the same names).
TOPIC_ENV = "NOTIFY_TOPIC_ARN"
TABLE_ENV = "NOTIFY_TABLE_NAME"
WINDOW_ENV = "NOTIFY_WINDOW_SECONDS"
LOG_GROUP_ENV = "NOTIFY_LOG_GROUP"
TTL_ATTRIBUTE = "expiresAt"
# Channel members may read, never change: the guardrail caps what the channel's role and its users can do.
READ_ONLY_GUARDRAIL = "arn:aws:iam::aws:policy/ReadOnlyAccess"
SLACK_WORKSPACE_ID = re.compile(r"T[A-Z0-9]{4,20}")
SLACK_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{4,20}")


def check_window_minutes(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1440:
        raise ValueError(f"{value!r} minutes: use 1 to 1440 (a day)")
    return value


def check_slack_workspace_id(value: object) -> str:
    if not isinstance(value, str) or not SLACK_WORKSPACE_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a Slack workspace ID (like T07EA123LEP: the Amazon Q Developer console shows it "
            "under Configured clients once Slack is authorised)"
        )
    return value


def check_slack_channel_id(value: object) -> str:
    if not isinstance(value, str) or not SLACK_CHANNEL_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a Slack channel ID (like C07EZ1ABC23: in Slack, the channel's details, at the bottom)"
        )
    return value


# The shortest function timeout in which handler/notify.py can send a message: it starts a call only if the call,
# retried within its own timeouts, still leaves time to mark the claim failed (tests/test_notify_deadline.py).
MIN_TIMEOUT_SECONDS = 4


def resolved_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """The notification settings of validated EcsTaskEventLoggerArgs values (each checked on its own already):
    the default follows alarms, and the combinations that cannot work are refused."""
    alarms = bool(values["alarms"])
    wanted = alarms if values["notifications"] is None else values["notifications"]
    if wanted and not alarms:
        raise ValueError(
            "EcsTaskEventLoggerArgs.notifications: messages go to the alarm topic, so they need alarms=True"
        )
    if wanted and values["timeout_seconds"] < MIN_TIMEOUT_SECONDS:
        raise ValueError(
            f"EcsTaskEventLoggerArgs.timeout_seconds: {values['timeout_seconds']} s is too short to send a message "
            f"(claim, window and publish, each with its timeouts and a retry); use {MIN_TIMEOUT_SECONDS} or more, "
            "or notifications=False"
        )
    workspace, channel = values["slack_workspace_id"], values["slack_channel_id"]
    if (workspace is None) != (channel is None):
        raise ValueError(
            "EcsTaskEventLoggerArgs.slack_workspace_id and slack_channel_id: give both (the workspace and the "
            "channel in it) or neither"
        )
    if workspace is not None and not alarms:
        raise ValueError(
            "EcsTaskEventLoggerArgs.slack_channel_id: the channel receives the alarm topic; set alarms=True"
        )
    return {"notifications": wanted}


def notify_policy(topic_arn: str, table_arn: str) -> str:
    """Publish to the alarm topic and update the state table; GetItem, Scan, DeleteItem and the rest are not needed."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "PublishToAlarmTopic", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
                {
                    "Sid": "UpdateNotificationState",
                    "Effect": "Allow",
                    "Action": "dynamodb:UpdateItem",
                    "Resource": table_arn,
                },
            ],
        }
    )


def chatbot_trust_policy() -> str:
    """Only Amazon Q Developer in chat applications (service principal chatbot.amazonaws.com) may assume it."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "chatbot.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )


class Notifications:
    """The table and the role policy, the function's environment, and the Slack channel when configured."""

    def __init__(
        self,
        name: str,
        settings: EcsTaskEventLoggerArgs,
        *,
        topic_arn: pulumi.Input[str],
        log_group: aws.cloudwatch.LogGroup,
        role: aws.iam.Role,
        tags: Mapping[str, str],
        parent: pulumi.Resource,
    ) -> None:
        child = pulumi.ResourceOptions(parent=parent)
        self.table = aws.dynamodb.Table(
            f"{name}-notify-state",
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            attributes=[aws.dynamodb.TableAttributeArgs(name="pk", type="S")],
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=TTL_ATTRIBUTE, enabled=True),
            tags=dict(tags),
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-notify",
            role=role.id,
            policy=pulumi.Output.all(topic_arn, self.table.arn).apply(lambda arns: notify_policy(*arns)),
            opts=child,
        )
        window_minutes = settings.notification_window_minutes
        assert window_minutes is not None, "settings are validated: the default is filled in"
        self.environment = aws.lambda_.FunctionEnvironmentArgs(
            variables={
                TOPIC_ENV: topic_arn,
                TABLE_ENV: self.table.name,
                WINDOW_ENV: str(window_minutes * 60),
                LOG_GROUP_ENV: log_group.name,
            }
        )
        self.slack_channel_arn: pulumi.Output[str] | None = None
        if settings.slack_workspace_id and settings.slack_channel_id:
            self.slack_channel_arn = self._slack(name, settings, topic_arn, tags, parent)

    @staticmethod
    def _slack(
        name: str,
        settings: EcsTaskEventLoggerArgs,
        topic_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        parent: pulumi.Resource,
    ) -> pulumi.Output[str]:
        child = pulumi.ResourceOptions(parent=parent)
        # No permissions of its own: the channel only receives messages. The guardrail caps it at read-only
        # should anyone attach more (without one, AWS applies AdministratorAccess as the guardrail).
        role = aws.iam.Role(
            f"{name}-chat-role",
            assume_role_policy=chatbot_trust_policy(),
            description="Amazon Q Developer in chat applications, for the ecs-task-events channel; no permissions.",
            tags=dict(tags),
            opts=child,
        )
        channel = aws.chatbot.SlackChannelConfiguration(
            f"{name}-slack",
            configuration_name=f"{pulumi.get_stack()}-{name}"[:128],
            iam_role_arn=role.arn,
            slack_team_id=settings.slack_workspace_id,
            slack_channel_id=settings.slack_channel_id,
            sns_topic_arns=[topic_arn],
            guardrail_policy_arns=[READ_ONLY_GUARDRAIL],
            logging_level="ERROR",
            tags=dict(tags),
            opts=child,
        )
        return channel.chat_configuration_arn
