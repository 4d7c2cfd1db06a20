"""A member that cannot forward, in the organisation rehearsal: what AWS would do, where moto does not.

EventBridge parks an event it could not deliver in the target's dead-letter queue after its retries; moto's
bus-to-bus forward never fails, so the rehearsal sends the event there itself, with the attributes EventBridge
adds (EventBridge User Guide, "Using dead-letter queues to process undelivered events"). CloudWatch would then
notify the alarm's topic; moto sends no alarm notifications, so the rehearsal writes the notification in
CloudWatch's format (AWS's sample in aws/aws-lambda-go, events/testdata/cloudwatch-alarm-sns-payload-single-
metric.json) and publishes it to the topic. moto's SNS delivers it to the relay queue the topic's subscription
names (in the queue's Region), once the queue's stored policy, evaluated by rehearse/bus_policy.py, admits the
topic. moto's event source mapping would invoke the function through Docker, so the rehearsal polls the queue as
Lambda's poller does and invokes the function with Lambda's SQS event ("Using Lambda with Amazon SQS"), deleting
the messages it does not report back as failures.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import clients
from .member_stacks import as_account

if TYPE_CHECKING:
    from .member_stacks import MemberStack
    from .play import AlarmState

# The forward role's one inline policy (components/organization.py, member_template).
FORWARD_POLICY = "PutEventsOnTheCentralBus"


def break_forwarding(stack: MemberStack) -> str:
    """Take the member's forward role's permission away, as a hand in the member account might; what was done."""
    with as_account(stack.account):
        iam = clients.client("iam", clients.GLOBAL_REGION)
        iam.delete_role_policy(RoleName=stack.role_name, PolicyName=FORWARD_POLICY)
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
        clients.client("sqs", stack.region).send_message(
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


def relay_queue_of(topic_arn: str, central_account: str, region: str) -> str | None:
    """The queue the member region's failure topic sends to, as moto holds the subscription; None if none."""
    with as_account(central_account):
        sns = clients.client("sns", region)
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    found = [s["Endpoint"] for s in subscriptions if s["Protocol"] == "sqs"]
    return str(found[0]) if len(found) == 1 else None


def _relay_sqs(queue_arn: str) -> tuple[Any, str]:
    """An SQS client in the relay queue's Region, and the queue's URL (call as the queue's account)."""
    sqs = clients.client("sqs", queue_arn.split(":")[3])
    return sqs, sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[-1])["QueueUrl"]


def publish_alarm(topic_arn: str, queue_arn: str, notification: dict[str, Any], central_account: str) -> str:
    """CloudWatch's notification to the failure topic, if the relay queue's stored policy lets the topic send
    there (AssertionError if not: SNS's delivery would fail); what admitted it."""
    from components.iam_policies import sns_principal  # noqa: PLC0415 - the program's own rule for the principal

    from .bus_policy import decide_for_service  # noqa: PLC0415

    topic_region, queue_region = topic_arn.split(":")[3], queue_arn.split(":")[3]
    with as_account(central_account):
        sqs, url = _relay_sqs(queue_arn)
        policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"].get("Policy", "")
        decision = decide_for_service(
            service=sns_principal(topic_region, queue_region),
            source_arn=topic_arn,
            action="sqs:SendMessage",
            resource=queue_arn,
            resource_policy=policy,
        )
        if not decision.allowed:
            raise AssertionError(f"SNS could not deliver {topic_arn}'s alarm to {queue_arn}: {decision.why}")
        clients.client("sns", topic_region).publish(
            TopicArn=topic_arn,
            # SNS takes a subject of fewer than 100 characters (Publish); CloudWatch's is cut to fit.
            Subject=f'ALARM: "{notification["AlarmName"]}" in {notification["Region"]}'[:99],
            Message=json.dumps(notification),
        )
    return decision.why


def poll(queue_arn: str, central_account: str) -> tuple[dict[str, Any], dict[str, str]]:
    """One receive from the relay queue as Lambda's poller makes it: the SQS event for the function, and each
    message's receipt handle by messageId."""
    with as_account(central_account):
        sqs, url = _relay_sqs(queue_arn)
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    records = [
        {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": queue_arn.split(":")[3],
        }
        for message in messages.get("Messages", [])
    ]
    return {"Records": records}, {record["messageId"]: record["receiptHandle"] for record in records}


def settle(queue_arn: str, central_account: str, handles: dict[str, str], returned: Any) -> list[str]:
    """What Lambda does with the function's answer: delete every message it did not report as failed; the
    messageIds it reported (they stay in the queue for the next receive)."""
    failures = returned.get("batchItemFailures") if isinstance(returned, dict) else None
    failed = [str(item.get("itemIdentifier")) for item in failures or [] if isinstance(item, dict)]
    with as_account(central_account):
        sqs, url = _relay_sqs(queue_arn)
        for message_id, handle in handles.items():
            if message_id not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    return failed
