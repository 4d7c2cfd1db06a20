"""A member that cannot forward, in the organisation rehearsal: what AWS would do, where moto does not.

EventBridge parks an event it could not deliver in the target's dead-letter queue after its retries; moto's
bus-to-bus forward never fails, so the rehearsal sends the event there itself, with the attributes EventBridge
adds (EventBridge User Guide, "Using dead-letter queues to process undelivered events"). CloudWatch would then
notify the alarm's topic; moto sends no alarm notifications and invokes no function from SNS, so the rehearsal
writes the notification in CloudWatch's format (AWS's sample in aws/aws-lambda-go,
events/testdata/cloudwatch-alarm-sns-payload-single-metric.json) and invokes the function subscribed to the topic,
as moto holds the subscription, with SNS's Lambda event ("Invoking Lambda functions with Amazon SNS
notifications", Lambda Developer Guide).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3

from .member_stacks import as_account

if TYPE_CHECKING:
    from .member_stacks import MemberStack
    from .play import AlarmState

# The forward role's one inline policy (components/organization.py, member_template).
FORWARD_POLICY = "PutEventsOnTheCentralBus"


def break_forwarding(stack: MemberStack) -> str:
    """Take the member's forward role's permission away, as a hand in the member account might; what was done."""
    with as_account(stack.account):
        boto3.client("iam").delete_role_policy(RoleName=stack.role_name, PolicyName=FORWARD_POLICY)
    return f"the rehearsal deleted the policy {FORWARD_POLICY} of the member's role {stack.role_name}"


def park(stack: MemberStack, event: dict[str, Any], why: str) -> str:
    """Send ``event`` to the member's dead-letter queue as EventBridge does once it gives up; where it went."""
    attributes = {
        "RULE_ARN": f"arn:aws:events:{stack.region}:{stack.account}:rule/{stack.rule_name}",
        "TARGET_ARN": str(stack.target["Arn"]),
        "ERROR_CODE": "NO_PERMISSIONS",
        "ERROR_MESSAGE": why[:256],
    }
    with as_account(stack.account):
        boto3.client("sqs", region_name=stack.region).send_message(
            QueueUrl=stack.queue_url,
            MessageBody=json.dumps(event),
            MessageAttributes={key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()},
        )
    return f"EventBridge parks it in the member's dead-letter queue {stack.queue_url} (sent there by the rehearsal)"


def alarm_notification(stack: MemberStack, state: AlarmState, at: datetime) -> dict[str, Any]:
    """The member alarm's notification as CloudWatch would write it for its change to ALARM."""
    alarm = stack.alarm
    values = ", ".join(f"{value:g}" for value in state.values) or "no data"
    return {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": stack.account,
        "NewStateValue": "ALARM",
        "NewStateReason": f"Threshold Crossed: 1 out of the last 1 datapoints [{values}] was greater than the "
        "threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",
        "StateChangeTime": at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "Region": stack.region,  # CloudWatch writes a display name ("US East (N. Virginia)"); no reader needs it
        "AlarmArn": f"arn:aws:cloudwatch:{stack.region}:{stack.account}:alarm:{alarm['AlarmName']}",
        "OldStateValue": "OK",
        "Trigger": {
            "MetricName": alarm["MetricName"],
            "Namespace": alarm["Namespace"],
            "Statistic": str(alarm["Statistic"]).upper(),
            "Dimensions": [{"value": entry["Value"], "name": entry["Name"]} for entry in alarm["Dimensions"]],
            "Period": alarm["Period"],
            "EvaluationPeriods": alarm["EvaluationPeriods"],
            "ComparisonOperator": alarm["ComparisonOperator"],
            "Threshold": float(alarm["Threshold"]),
        },
    }


def function_subscription(topic_arn: str, function_arn: str, central_account: str, region: str) -> str | None:
    """The subscription of the function to the member region's failure topic, as moto holds it; None if none."""
    with as_account(central_account):
        sns = boto3.client("sns", region_name=region)
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    found = [s for s in subscriptions if s["Protocol"] == "lambda" and s["Endpoint"] == function_arn]
    return str(found[0]["SubscriptionArn"]) if found else None


def sns_event(topic_arn: str, subscription_arn: str, notification: dict[str, Any], at: datetime) -> dict[str, Any]:
    """SNS invoking a function with one message."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": topic_arn,
                    "Subject": f'ALARM: "{notification["AlarmName"]}" in {notification["Region"]}',
                    "Message": json.dumps(notification),
                    "Timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                },
            }
        ]
    }
