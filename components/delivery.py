"""Lose no event: the dead-letter queues that catch what could not be delivered or handled.

EventBridge retries delivery to the function (up to 24 hours) and then drops the
event unless the target has a dead-letter queue. Lambda retries a failing
asynchronous invocation twice and then drops it unless it has an on-failure
destination. Both land in SQS queues kept for the maximum 14 days, encrypted.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from .iam_policies import failed_events_queue_policy, rule_dead_letter_queue_policy

MAX_RETENTION_SECONDS = 14 * 24 * 3600


def dead_letter_queue(name: str, tags: Mapping[str, str], parent: pulumi.Resource) -> aws.sqs.Queue:
    return aws.sqs.Queue(
        name,
        message_retention_seconds=MAX_RETENTION_SECONDS,
        sqs_managed_sse_enabled=True,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def allow_rules_to_send(
    name: str, queue: aws.sqs.Queue, rules_source_arn: pulumi.Input[str], parent: pulumi.Resource
) -> aws.sqs.QueuePolicy:
    """The logger's rules (by their ARN pattern, so the policy does not grow with them) may park events here."""
    return aws.sqs.QueuePolicy(
        name,
        queue_url=queue.url,
        policy=pulumi.Output.all(queue.arn, rules_source_arn).apply(
            lambda arns: rule_dead_letter_queue_policy(arns[0], arns[1])
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def allow_role_to_send(
    name: str, queue: aws.sqs.Queue, role: aws.iam.Role, parent: pulumi.Resource
) -> aws.sqs.QueuePolicy:
    return aws.sqs.QueuePolicy(
        name,
        queue_url=queue.url,
        policy=pulumi.Output.all(queue.arn, role.arn).apply(lambda arns: failed_events_queue_policy(*arns)),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def async_invoke_config(
    name: str,
    function: aws.lambda_.Function,
    *,
    retry_attempts: int,
    max_event_age_seconds: int,
    failed_events_queue: aws.sqs.Queue | None,
    parent: pulumi.Resource,
) -> aws.lambda_.FunctionEventInvokeConfig:
    destination = None
    if failed_events_queue is not None:
        destination = aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
            on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                destination=failed_events_queue.arn
            )
        )
    return aws.lambda_.FunctionEventInvokeConfig(
        name,
        function_name=function.name,
        maximum_retry_attempts=retry_attempts,
        maximum_event_age_in_seconds=max_event_age_seconds,
        destination_config=destination,
        opts=pulumi.ResourceOptions(parent=parent),
    )
