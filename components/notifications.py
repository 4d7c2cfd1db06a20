"""Messages to on-call: the state table, the function's extra permissions and settings, and a Slack channel.

The function (handler/notify.py) publishes one message per failed task, failed deployment or service action
that needs a person to the alarm topic. It keeps what it sent in a DynamoDB table (on demand, with a TTL):
DynamoDB's conditional writes are what let concurrent instances agree that a message went out once, and that a
service's next message waits out the window. The role may publish to that topic and update that table, nothing
else.

With a Slack channel, the chat format goes to a topic of the component's own that only the channel subscribes to:
on the alarm topic, which may be the user's own with a PagerDuty webhook on it, every subscriber gets the readable
text. The alarms notify both topics. The channel configuration lives in a Region that serves the chat API (four
do) and subscribes to the chat topic in the logger's Region: a configuration may combine topics of several Regions
("Regions and quotas for Amazon Q Developer in chat applications").

A route that names a Slack channel of its own (``slackChannelId`` in a route, in the same workspace) gets its own
chat topic and channel configuration, beside the stack's, with the same role and guardrail: the team's channel
reads only the team's messages. The alarms are the stack's and go to the stack's channel only.
"""

from __future__ import annotations

import hashlib
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
CHAT_TOPIC_ENV = "NOTIFY_CHAT_TOPIC_ARN"
TTL_ATTRIBUTE = "expiresAt"
# Channel members may read, never change: the guardrail caps what the channel's role and its users can do.
READ_ONLY_GUARDRAIL = "arn:aws:iam::aws:policy/ReadOnlyAccess"
SLACK_WORKSPACE_ID = re.compile(r"T[A-Z0-9]{4,20}")
SLACK_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{4,20}")
# The Regions with an endpoint of the chat API, the only ones a channel configuration can be created in: AWS General
# Reference, "Amazon Q Developer in chat applications endpoints and quotas" (docs.aws.amazon.com/general/latest/gr/
# chatbot.html), and the API Reference's "Welcome" page. botocore's endpoint data does not list the service.
CHAT_API_REGIONS = ("us-east-2", "us-west-2", "eu-west-1", "ap-southeast-1")
# Where a logger outside those Regions puts its channel configuration: the chat API Region of its geography.
# us-east-2 is also the only Region of the service's console.
CHAT_REGION_OF_GEOGRAPHY = {"eu-": "eu-west-1", "me-": "eu-west-1", "af-": "eu-west-1", "il-": "eu-west-1"}
CHAT_REGION_OF_GEOGRAPHY |= {"ap-": "ap-southeast-1", "us-west-": "us-west-2"}
DEFAULT_CHAT_REGION = "us-east-2"
# CreateSlackChannelConfiguration, ConfigurationName: pattern [A-Za-z0-9-_]+, length 1 to 128 (the API model);
# the name is unique in the account.
CONFIGURATION_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")


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


def check_chat_region(value: object) -> str:
    if not isinstance(value, str) or value not in CHAT_API_REGIONS:
        raise ValueError(
            f"{value!r} has no endpoint of Amazon Q Developer in chat applications, so no channel configuration can "
            f'be created there; use one of {", ".join(CHAT_API_REGIONS)} (AWS General Reference, "Amazon Q '
            'Developer in chat applications endpoints and quotas")'
        )
    return value


def default_chat_region(logger_region: str) -> str:
    """The logger's own Region when it serves the chat API, else the chat API Region of its geography."""
    if logger_region in CHAT_API_REGIONS:
        return logger_region
    if not logger_region.startswith(("us-", "eu-", "ap-", "ca-", "sa-", "me-", "af-", "il-", "mx-")) or (
        logger_region.startswith(("us-gov-", "us-iso"))
    ):
        raise ValueError(
            f"the logger's Region {logger_region} is not in the aws partition, and Amazon Q Developer in chat "
            f"applications serves only {', '.join(CHAT_API_REGIONS)}: a Slack channel cannot be connected from it"
        )
    prefix = max((p for p in CHAT_REGION_OF_GEOGRAPHY if logger_region.startswith(p)), key=len, default=None)
    return CHAT_REGION_OF_GEOGRAPHY[prefix] if prefix else DEFAULT_CHAT_REGION


def channel_configuration_name(project: str, stack: str, name: str, logger_region: str) -> str:
    """A name CreateSlackChannelConfiguration takes, unique per account and logger Region.

    The readable part is the stack, the component and the Region with every character the pattern refuses made a
    '-'; the hash of the exact parts keeps 'prod.eu' and 'prod-eu', or two projects' stacks, apart.
    """
    digest = hashlib.sha256("\0".join((project, stack, name, logger_region)).encode()).hexdigest()[:8]
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{stack}-{name}-{logger_region}").strip("-_") or "ecs-task-events"
    chosen = f"{readable[: 128 - len(digest) - 1]}-{digest}"
    assert CONFIGURATION_NAME.fullmatch(chosen), chosen
    return chosen


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
    if values.get("slack_channel_region") is not None and workspace is None:
        raise ValueError(
            "EcsTaskEventLoggerArgs.slack_channel_region: it places the Slack channel configuration; give "
            "slack_workspace_id and slack_channel_id too, or leave it out"
        )
    if workspace is not None and not wanted:
        raise ValueError(
            "EcsTaskEventLoggerArgs.slack_channel_id: the channel receives the messages to on-call; set "
            "notifications=True"
        )
    if route_channels(values.get("routes") or ()) and workspace is None:
        raise ValueError(
            "EcsTaskEventLoggerArgs.routes: a route names a Slack channel, which is in the stack's workspace; give "
            "slack_workspace_id and slack_channel_id (the channel for the messages no team's channel takes)"
        )
    return {"notifications": wanted}


def notify_policy(topic_arn: str, table_arn: str, chat_topic_arn: str | None = None) -> str:
    """Publish to the alarm topic (and the chat topic) and update the state table; GetItem, Scan, DeleteItem and
    the rest are not needed."""
    topics: str | list[str] = [topic_arn, chat_topic_arn] if chat_topic_arn else topic_arn
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "PublishToAlarmTopic", "Effect": "Allow", "Action": "sns:Publish", "Resource": topics},
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
        # The chat format only where only the chat channel reads it: a topic of the component's own.
        self.chat_topic_arn: pulumi.Output[str] | None = None
        # A team's channel (a route's slackChannelId) -> its chat topic's ARN.
        self.route_chat_topic_arns: dict[str, pulumi.Output[str]] = {}
        if settings.slack_workspace_id and settings.slack_channel_id:
            self.chat_topic_arn = aws.sns.Topic(f"{name}-chat", tags=dict(tags), opts=child).arn
            for channel in route_channels(settings.routes or ()):
                if channel == settings.slack_channel_id:  # the stack's own channel: its chat topic
                    self.route_chat_topic_arns[channel] = self.chat_topic_arn
                    continue
                topic = aws.sns.Topic(f"{name}-chat-{channel.lower()}", tags=dict(tags), opts=child)
                self.route_chat_topic_arns[channel] = topic.arn
        self.policy = aws.iam.RolePolicy(
            f"{name}-notify",
            role=role.id,
            policy=pulumi.Output.all(topic_arn, self.table.arn, self.chat_topic_arn).apply(
                lambda arns: notify_policy(*arns)
            ),
            opts=child,
        )
        window_minutes = settings.notification_window_minutes
        assert window_minutes is not None, "settings are validated: the default is filled in"
        variables: dict[str, pulumi.Input[str]] = {
            TOPIC_ENV: topic_arn,
            TABLE_ENV: self.table.name,
            WINDOW_ENV: str(window_minutes * 60),
            LOG_GROUP_ENV: log_group.name,
        }
        if self.chat_topic_arn is not None:
            variables[CHAT_TOPIC_ENV] = self.chat_topic_arn
        self.environment = aws.lambda_.FunctionEnvironmentArgs(variables=variables)
        self.slack_channel_arn: pulumi.Output[str] | None = None
        if self.chat_topic_arn is not None:
            self.slack_channel_arn = self._slack(
                name, settings, chat_topic_arn=self.chat_topic_arn, log_group=log_group, tags=tags, parent=parent
            )

    @property
    def alarm_topic_arns(self) -> list[pulumi.Output[str]]:
        """The topics the alarms notify besides the alarm topic: the chat topic, so the channel sees them too."""
        return [self.chat_topic_arn] if self.chat_topic_arn is not None else []

    def _slack(
        self,
        name: str,
        settings: EcsTaskEventLoggerArgs,
        *,
        chat_topic_arn: pulumi.Output[str],
        log_group: aws.cloudwatch.LogGroup,
        tags: Mapping[str, str],
        parent: pulumi.Resource,
    ) -> pulumi.Output[str]:
        """The stack's channel configuration, and one per team channel of the routes; the stack's ARN."""
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
        logger_region = log_group.arn.apply(lambda arn: arn.split(":")[3])
        project, stack = pulumi.get_project(), pulumi.get_stack()

        def configuration(resource_name: str, channel_id: str | None, topic_arn: pulumi.Output[str]) -> Any:
            return aws.chatbot.SlackChannelConfiguration(
                resource_name,
                region=settings.slack_channel_region or logger_region.apply(default_chat_region),
                configuration_name=logger_region.apply(
                    lambda region: channel_configuration_name(project, stack, resource_name, region)
                ),
                iam_role_arn=role.arn,
                slack_team_id=settings.slack_workspace_id,
                slack_channel_id=channel_id,
                sns_topic_arns=[topic_arn],
                guardrail_policy_arns=[READ_ONLY_GUARDRAIL],
                logging_level="ERROR",
                tags=dict(tags),
                opts=child,
            )

        stack_channel = configuration(f"{name}-slack", settings.slack_channel_id, chat_topic_arn)
        for channel, topic_arn in self.route_chat_topic_arns.items():
            if channel != settings.slack_channel_id:
                configuration(f"{name}-slack-{channel.lower()}", channel, topic_arn)
        return stack_channel.chat_configuration_arn


def route_channels(routes: Any) -> list[str]:
    """The Slack channels the routes name, once each, in order: one chat topic and configuration per channel."""
    return list(dict.fromkeys(route["slackChannelId"] for route in routes if route.get("slackChannelId")))
