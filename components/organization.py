"""Organisation mode: one logger for every account and region of an AWS Organization's chosen OUs.

The central side, in the stack's account: a custom event bus whose policy admits the organisation alone (one
statement on aws:PrincipalOrgID, the same size for ten accounts or ten thousand), on which the logger's rules
sit. The member side is a CloudFormation StackSet with service-managed permissions and automatic deployment:
every account in the OUs, in every member region, gets a rule on its default bus that forwards the logger's ECS
events to the central bus, the role EventBridge assumes for that (events:PutEvents on that bus, nothing else), a
dead-letter queue for what it could not forward, and an alarm on that queue that notifies a topic of the central
account in the member's region (a CloudWatch alarm notifies topics of its own region), whose policy admits
CloudWatch alarms of the organisation's accounts only.

A topic cannot subscribe to another topic, so with messages to on-call every failure topic sends to one queue of
the central account in the stack's Region (SNS delivers to an SQS queue of another Region), and the logger's
function reads that queue through an event source mapping, turning each alarm into one message on the alarm topic
and the chat topic (handler/member_failure.py); without them, alertEmail subscribes to each topic directly. The
queue's policy is one statement for every member Region; the function's own policy holds only its rules' statement.
A Lambda permission per topic would grow with the Regions: AddPermission's SourceArn takes no '*' for the Region
(botocore's lambda model, AddPermission SourceArn pattern).

The member template is built from the event pattern code (event_pattern.all_clusters_pattern), so the events a
member forwards are exactly those the central rules take.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from .event_pattern import all_clusters_pattern
from .iam_policies import (
    MAX_QUEUE_POLICY_PRINCIPALS,
    central_bus_policy,
    failure_queue_policy,
    failure_topic_policy,
    relay_queue_read_policy,
)

# CloudFormation's DeploymentTargets.OrganizationalUnitIds (botocore's cloudformation model, OrganizationalUnitId):
# an OU ID, or the root ID for the whole organisation.
OU_ID = re.compile(r"(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})")
# Organizations' Organization.Id (botocore's organizations model, OrganizationId).
ORGANIZATION_ID = re.compile(r"o-[a-z0-9]{10,32}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
# CreateStackInstances takes at most 50 OUs per call (CloudFormation API Reference, CreateStackInstances).
MAX_OUS = 50
# StackSets' call_as: a stack set with service-managed permissions made from a delegated administrator account
# says DELEGATED_ADMIN (CloudFormation API Reference, CreateStackSet, CallAs).
CALL_AS = "DELEGATED_ADMIN"
# Members' dead letters, and the relay queue's messages, are kept the longest SQS allows, 14 days (CreateQueue,
# MessageRetentionPeriod).
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
# The prefix every cluster ARN of the member account and region starts with, as CloudFormation substitutes it.
MEMBER_CLUSTER_PREFIX = "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/"


def check_ou_ids(values: Sequence[str]) -> list[str]:
    listed = list(values)
    for value in listed:
        if not isinstance(value, str) or not OU_ID.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an OU ID (ou-xxxx-xxxxxxxx) or a root ID (r-xxxx); "
                "`aws organizations list-roots` and `list-organizational-units-for-parent` list them"
            )
    if len(listed) > MAX_OUS:
        raise ValueError(f"{len(listed)} OUs; StackSets takes at most {MAX_OUS} in one call: list their parent OU")
    if len(set(listed)) != len(listed):
        raise ValueError("an OU is listed more than once; list each once")
    return listed


def check_regions(values: Sequence[str]) -> list[str]:
    listed = list(values)
    for value in listed:
        if not isinstance(value, str) or not REGION.fullmatch(value):
            raise ValueError(f"{value!r} is not a region name such as eu-west-1")
    if len(listed) > MAX_QUEUE_POLICY_PRINCIPALS:
        raise ValueError(
            f"{len(listed)} regions; the relay queue's policy names at most {MAX_QUEUE_POLICY_PRINCIPALS} SNS "
            "principals, and AWS has fewer regions: list each region whose clusters to cover once"
        )
    if len(set(listed)) != len(listed):
        raise ValueError("a region is listed more than once; list each once")
    return listed


def check_organization_id(value: str) -> str:
    if not ORGANIZATION_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an organization ID (o-…); "
            "`aws organizations describe-organization --query Organization.Id` shows it"
        )
    return value


def looked_up_organization_id() -> pulumi.Output[str]:
    """The ID of the organisation the stack's account belongs to.

    With return_organization_only the data source calls DescribeOrganization alone (terraform-provider-aws,
    internal/service/organizations/organization_data_source.go: it returns before ListAccounts, ListRoots and
    ListAWSServiceAccessForOrganization, which only the management account or a delegated administrator may
    call), and "This operation can be called from any account in the organization" (Organizations API Reference,
    DescribeOrganization): a StackSets delegated administrator is a member account.
    """
    return aws.organizations.get_organization_output(return_organization_only=True).id


def member_pattern(service_events: bool) -> dict[str, Any]:
    """What a member forwards: the logger's events of every cluster of the member's own account and region,
    with CloudFormation's pseudo parameters in place of the account, region and partition."""
    return _substituted(all_clusters_pattern(MEMBER_CLUSTER_PREFIX, service_events))


def _substituted(value: Any) -> Any:
    """Strings that name pseudo parameters become Fn::Sub, so each member's stack fills in its own."""
    if isinstance(value, str) and "${" in value:
        return {"Fn::Sub": value}
    if isinstance(value, list):
        return [_substituted(item) for item in value]
    if isinstance(value, dict):
        return {key: _substituted(item) for key, item in value.items()}
    return value


def member_template(*, service_events: bool, retry_attempts: int, max_event_age_seconds: int) -> dict[str, Any]:
    """The CloudFormation template every member account and region runs (the StackSet's template body)."""
    bus_arn = {"Ref": "CentralEventBusArn"}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "ecs-task-events member: forwards ECS task events to the organisation's central logger.",
        "Parameters": {
            "CentralEventBusArn": {
                "Type": "String",
                "AllowedPattern": r"arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[.\-_A-Za-z0-9]+",
                "Description": "The central logger's event bus.",
            },
            "CentralAccountId": {"Type": "String", "AllowedPattern": r"\d{12}"},
            "FailureTopicName": {
                "Type": "String",
                "AllowedPattern": r"[A-Za-z0-9_-]{1,256}",
                "Description": "The central account's topic, in each member region, for forwarding failures.",
            },
        },
        "Resources": {
            "ForwardRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Description": "EventBridge forwards this account's ECS task events to the central logger.",
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                            }
                        ],
                    },
                    "Policies": [
                        {
                            "PolicyName": "PutEventsOnTheCentralBus",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus_arn}],
                            },
                        }
                    ],
                },
            },
            "DeadLetters": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
                    "SqsManagedSseEnabled": True,
                },
            },
            "DeadLettersPolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "Queues": [{"Ref": "DeadLetters"}],
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Action": "sqs:SendMessage",
                                "Resource": {"Fn::GetAtt": ["DeadLetters", "Arn"]},
                                "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["ForwardRule", "Arn"]}}},
                            }
                        ],
                    },
                },
            },
            "ForwardRule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "Description": "ECS task events of this account and region, for the organisation's logger.",
                    "EventBusName": "default",
                    "EventPattern": member_pattern(service_events),
                    "State": "ENABLED",
                    "Targets": [
                        {
                            "Id": "central-logger",
                            "Arn": bus_arn,
                            "RoleArn": {"Fn::GetAtt": ["ForwardRole", "Arn"]},
                            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["DeadLetters", "Arn"]}},
                            "RetryPolicy": {
                                "MaximumRetryAttempts": retry_attempts,
                                "MaximumEventAgeInSeconds": max_event_age_seconds,
                            },
                        }
                    ],
                },
            },
            "DeadLettersAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmDescription": {
                        "Fn::Sub": "ECS task events of account ${AWS::AccountId} in ${AWS::Region} could not be "
                        "forwarded to the central logger; they wait in this account's dead-letter queue."
                    },
                    "Namespace": "AWS/SQS",
                    "MetricName": "ApproximateNumberOfMessagesVisible",
                    "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeadLetters", "QueueName"]}}],
                    "Statistic": "Maximum",
                    "Period": 300,
                    "EvaluationPeriods": 1,
                    "Threshold": 0,
                    "ComparisonOperator": "GreaterThanThreshold",
                    "TreatMissingData": "notBreaching",
                    "AlarmActions": [
                        {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${CentralAccountId}:${FailureTopicName}"}
                    ],
                },
            },
        },
        "Outputs": {
            "DeadLetterQueueUrl": {"Value": {"Ref": "DeadLetters"}},
            "ForwardRuleArn": {"Value": {"Fn::GetAtt": ["ForwardRule", "Arn"]}},
        },
    }


# Lambda Developer Guide, "Using Lambda with Amazon SQS": set the queue's visibility timeout to at least six times
# the function's timeout; and a redrive policy, so that a message the function keeps failing on is not retried
# forever: after this many receives it moves to the logger's failed-events queue, whose alarm tells on-call.
VISIBILITY_TIMEOUT_FACTOR = 6
RELAY_MAX_RECEIVES = 5
# Up to ten alarm notifications per invocation; each one that could not be sent is reported alone
# (ReportBatchItemFailures) and comes back, the others are not sent twice.
RELAY_BATCH_SIZE = 10


class CentralSide:
    """The central bus and its policy, the member StackSet with its instances, and the failure topics with who
    reads them."""

    def __init__(
        self,
        name: str,
        *,
        organization_id: pulumi.Input[str],
        organizational_unit_ids: Sequence[str],
        regions: Sequence[str],
        template: Mapping[str, Any],
        function: aws.lambda_.Function,
        function_timeout_seconds: int,
        role: aws.iam.Role,
        failed_events_queue: aws.sqs.Queue | None,
        relay: bool,
        alert_email: pulumi.Input[str] | None,
        tags: Mapping[str, str],
        parent: pulumi.Resource,
    ) -> None:
        """``relay``: the function turns the members' alarms into messages to on-call (with notifications);
        else ``alert_email`` subscribes to the failure topics itself."""
        child = pulumi.ResourceOptions(parent=parent)
        self.bus = aws.cloudwatch.EventBus(f"{name}-bus", tags=dict(tags), opts=child)
        self.bus_policy = aws.cloudwatch.EventBusPolicy(
            f"{name}-bus-policy",
            event_bus_name=self.bus.name,
            policy=pulumi.Output.all(self.bus.arn, organization_id).apply(lambda at: central_bus_policy(*at)),
            opts=child,
        )
        self.failure_topic_name = function.name.apply(lambda function_name: f"{function_name}-forwarding")
        self.relay_queue = (
            self._relay_queue(
                name,
                regions,
                function=function,
                function_timeout_seconds=function_timeout_seconds,
                role=role,
                failed_events_queue=failed_events_queue,
                tags=tags,
                parent=parent,
            )
            if relay
            else None
        )
        self.failure_topics = [
            self._failure_topic(
                name,
                region,
                organization_id=organization_id,
                alert_email=alert_email,
                tags=tags,
                parent=parent,
            )
            for region in regions
        ]
        account = aws.get_caller_identity_output().account_id
        self.stack_set = aws.cloudformation.StackSet(
            f"{name}-members",
            description="ecs-task-events: forwards every member account's ECS task events to the central logger.",
            permission_model="SERVICE_MANAGED",
            auto_deployment=aws.cloudformation.StackSetAutoDeploymentArgs(
                enabled=True, retain_stacks_on_account_removal=False
            ),
            call_as=CALL_AS,
            capabilities=["CAPABILITY_IAM"],
            template_body=json.dumps(template),
            parameters={
                "CentralEventBusArn": self.bus.arn,
                "CentralAccountId": account,
                "FailureTopicName": self.failure_topic_name,
            },
            tags=dict(tags),
            # Members may only forward once the bus admits them, and notify once the topics exist.
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[self.bus_policy, *self.failure_topics]),
        )
        self.instances = [
            aws.cloudformation.StackSetInstance(
                f"{name}-members-{region}",
                stack_set_name=self.stack_set.name,
                call_as=CALL_AS,
                stack_set_instance_region=region,
                deployment_targets=aws.cloudformation.StackSetInstanceDeploymentTargetsArgs(
                    organizational_unit_ids=list(organizational_unit_ids)
                ),
                opts=child,
            )
            for region in regions
        ]

    def _relay_queue(
        self,
        name: str,
        regions: Sequence[str],
        *,
        function: aws.lambda_.Function,
        function_timeout_seconds: int,
        role: aws.iam.Role,
        failed_events_queue: aws.sqs.Queue | None,
        tags: Mapping[str, str],
        parent: pulumi.Resource,
    ) -> aws.sqs.Queue:
        """The queue every Region's failure topic sends to, its one-statement policy, and the function reading it."""
        child = pulumi.ResourceOptions(parent=parent)
        redrive = (
            failed_events_queue.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": RELAY_MAX_RECEIVES})
            )
            if failed_events_queue is not None
            else None
        )
        queue = aws.sqs.Queue(
            f"{name}-forwarding",
            message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
            visibility_timeout_seconds=VISIBILITY_TIMEOUT_FACTOR * function_timeout_seconds,
            sqs_managed_sse_enabled=True,
            redrive_policy=redrive,
            tags=dict(tags),
            opts=child,
        )
        self.relay_queue_policy = aws.sqs.QueuePolicy(
            f"{name}-forwarding-policy",
            queue_url=queue.url,
            policy=pulumi.Output.all(queue.arn, self.failure_topic_name).apply(
                lambda at: failure_queue_policy(at[0], at[1], regions)
            ),
            opts=child,
        )
        reads = aws.iam.RolePolicy(
            f"{name}-read-forwarding",
            role=role.id,
            policy=queue.arn.apply(relay_queue_read_policy),
            opts=child,
        )
        aws.lambda_.EventSourceMapping(
            f"{name}-forwarding-relay",
            event_source_arn=queue.arn,
            function_name=function.arn,
            batch_size=RELAY_BATCH_SIZE,
            function_response_types=["ReportBatchItemFailures"],
            # Lambda checks the role can read the queue when the mapping is created.
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[reads]),
        )
        return queue

    def _failure_topic(
        self,
        name: str,
        region: str,
        *,
        organization_id: pulumi.Input[str],
        alert_email: pulumi.Input[str] | None,
        tags: Mapping[str, str],
        parent: pulumi.Resource,
    ) -> aws.sns.Topic:
        """The region's failure topic and its policy, and who reads it: the relay queue, subscribed in the topic's
        Region as SNS requires ("Sending Amazon SNS messages to an Amazon SQS queue or AWS Lambda function in a
        different Region", SNS Developer Guide), or else on-call's email."""
        provider = aws.Provider(f"{name}-{region}", region=region, opts=pulumi.ResourceOptions(parent=parent))
        in_region = pulumi.ResourceOptions(parent=parent, provider=provider)
        topic = aws.sns.Topic(
            f"{name}-forwarding-{region}", name=self.failure_topic_name, tags=dict(tags), opts=in_region
        )
        aws.sns.TopicPolicy(
            f"{name}-forwarding-{region}-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, organization_id).apply(lambda at: failure_topic_policy(*at)),
            opts=in_region,
        )
        if self.relay_queue is not None:
            # The queue's owner subscribes it, so no confirmation is needed (SNS Developer Guide, "Fanout to
            # Amazon SQS queues"); the queue admits the topic before the first alarm.
            aws.sns.TopicSubscription(
                f"{name}-forwarding-{region}-relay",
                topic=topic.arn,
                protocol="sqs",
                endpoint=self.relay_queue.arn,
                opts=pulumi.ResourceOptions.merge(
                    in_region, pulumi.ResourceOptions(depends_on=[self.relay_queue_policy])
                ),
            )
        elif alert_email:
            aws.sns.TopicSubscription(
                f"{name}-forwarding-{region}-email",
                topic=topic.arn,
                protocol="email",
                endpoint=alert_email,
                opts=in_region,
            )
        return topic
