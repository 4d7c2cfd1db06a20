"""The IAM documents: who may assume the function's role, and what the role may do."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def lambda_trust_policy() -> str:
    """Only the Lambda service may assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def function_policy(log_group_arn: str, failed_events_queue_arn: str | None = None) -> str:
    """Write to the function's own log group and, when there is one, send to its failed-events queue.

    AWSLambdaBasicExecutionRole would grant every log group in the account.
    The ':*' form covers the group's log streams, which PutLogEvents acts on.
    """
    statements: list[dict[str, object]] = [
        {
            "Sid": "WriteOwnLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        }
    ]
    if failed_events_queue_arn:
        statements.append(
            {
                "Sid": "SendFailedEvents",
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": failed_events_queue_arn,
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def resource_policy(
    sid: str,
    principal: str | dict[str, str] | dict[str, str | list[str]],
    action: str | Sequence[str],
    resource: str,
    condition: dict[str, Any] | None = None,
) -> str:
    """A resource-based policy of one Allow statement: who may do one thing to one resource, on what condition."""
    actions = action if isinstance(action, str) else list(action)
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": actions}
    statement["Resource"] = resource
    if condition is not None:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def rule_dead_letter_queue_policy(queue_arn: str, rules_source_arn: str) -> str:
    """EventBridge may park undeliverable events here, and only for the logger's own rules.

    ``rules_source_arn`` is logger_rules_source_arn's pattern: one condition, however many rules.
    """
    return resource_policy(
        "EventBridgeDeadLetters",
        {"Service": "events.amazonaws.com"},
        "sqs:SendMessage",
        queue_arn,
        {"ArnLike": {"aws:SourceArn": rules_source_arn}},
    )


def failed_events_queue_policy(queue_arn: str, role_arn: str) -> str:
    """Only the function's role may send here (Lambda sends failed invocations as the function)."""
    return resource_policy("FunctionFailedEvents", {"AWS": role_arn}, "sqs:SendMessage", queue_arn)


def central_bus_policy(bus_arn: str, organization_id: str) -> str:
    """Only principals of the organisation may put events on the bus: one statement, whatever its size.

    EventBridge API Reference, PutPermission: to admit every account of an organisation, one statement with
    Principal "*" and the organisation ID as the condition; the policy may be at most 10 KB.
    """
    return resource_policy(
        "OrganizationPutsEvents",
        "*",
        "events:PutEvents",
        bus_arn,
        {"StringEquals": {"aws:PrincipalOrgID": organization_id}},
    )


def failure_topic_policy(topic_arn: str, organization_id: str) -> str:
    """CloudWatch alarms of the organisation's accounts may notify this topic, and nothing else may publish.

    aws:SourceOrgID is the organisation of the resource a service acts for (IAM User Guide, "AWS global
    condition context keys"), here the member's alarm.
    """
    return resource_policy(
        "OrganizationAlarmsPublish",
        {"Service": "cloudwatch.amazonaws.com"},
        "sns:Publish",
        topic_arn,
        {"StringEquals": {"aws:SourceOrgID": organization_id}},
    )


def vended_logs_write_policy(log_group_arn: str) -> str:
    """CloudWatch Logs' delivery service may write the ECS Action Logs into this log group, for this account only.

    The statement "Logs sent to CloudWatch Logs" (CloudWatch Logs User Guide, "Enable logging from AWS services")
    gives for delivery.logs.amazonaws.com, on this group's streams alone: logs:CreateLogStream and
    logs:PutLogEvents, with aws:SourceAccount the account and aws:SourceArn the account's CloudWatch Logs ARNs
    (the delivery sources). PutResourcePolicy (CloudWatch Logs API Reference) takes no other actions and only
    service principals; a log group's policy is at most 51,200 bytes, and this one does not grow with the clusters.
    In place first, it is the group's policy, not one CloudWatch Logs writes when the first delivery starts.
    """
    partition, region, account = _arn_fields(log_group_arn, "logs")
    return resource_policy(
        "AWSLogDeliveryWrite20150319",
        {"Service": "delivery.logs.amazonaws.com"},
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        f"{log_group_arn.removesuffix(':*')}:log-stream:*",
        {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account}:*"},
        },
    )


def _arn_fields(arn: str, service: str) -> tuple[str, str, str]:
    """(partition, region, account) of an ARN of ``service``."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != service:
        raise ValueError(f"{arn!r} is not an ARN of {service}")
    return parts[1], parts[3], parts[4]


# AWS Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): a function's
# resource-based policy is at most 20 KB; AddPermission past it fails with PolicyLengthExceededException.
# Counted here as 20,000 bytes, the stricter reading of "20 KB".
MAX_FUNCTION_POLICY_BYTES = 20_000

# The longest each part of an invoke statement can be, for a bound that holds whatever the names:
# StatementId up to 100 characters (AddPermission), function and rule names up to 64 (CreateFunction,
# PutRule), the longest partition name, a generous region name, a 12-digit account.
LONGEST_STATEMENT_ID = "s" * 100
LONGEST_FUNCTION_ARN = f"arn:aws-us-gov:lambda:{'r' * 20}:{'1' * 12}:function:{'f' * 64}"
LONGEST_RULE_ARN = f"arn:aws-us-gov:events:{'r' * 20}:{'1' * 12}:rule/{'n' * 64}"

# The logger's rules are named after its function: FUNCTION.NN, two digits. A function name is unique in its
# account and region and holds only [a-zA-Z0-9-_] (CreateFunction's FunctionName); a rule name may also hold '.'
# ([.-_A-Za-z0-9]+, at most 64: PutRule's Name). So 'FUNCTION.' starts no other function's rule names, and the
# two '?' of the pattern below take exactly two characters: never a custom bus named 'FUNCTION.x' with its rules,
# whose ARNs read rule/FUNCTION.x/NAME (at least three characters after the dot).
RULE_NAME_SEPARATOR = "."
RULE_INDEX_DIGITS = 2
MAX_RULE_NAME_CHARS = 64
MAX_RULES_BY_NAME = 10**RULE_INDEX_DIGITS


def logger_rule_name(function_name: str, index: int) -> str:
    """'ecs-task-events-function-1a2b3c4.00': the name of the logger's rule ``index``."""
    if not 0 <= index < MAX_RULES_BY_NAME:
        raise ValueError(f"rule index {index} does not fit in {RULE_INDEX_DIGITS} digits")
    name = f"{function_name}{RULE_NAME_SEPARATOR}{index:0{RULE_INDEX_DIGITS}d}"
    if len(name) > MAX_RULE_NAME_CHARS:
        raise ValueError(f"rule name {name!r} is longer than EventBridge's {MAX_RULE_NAME_CHARS} characters")
    return name


def logger_rules_source_arn(function_arn: str, event_bus_name: str | None = None) -> str:
    """The ARN pattern of every rule the logger names after its function, and of no other rule.

    arn:PARTITION:events:REGION:ACCOUNT:rule/FUNCTION.?? on the default bus, rule/BUS/FUNCTION.?? on a custom
    one (EventBridge's rule ARN format). Lambda compares an AddPermission SourceArn with a pattern operator
    (botocore's lambda model, AddPermission SourceArn: "Lambda configures the comparison using the StringLike
    operator"; GetPolicy shows it as ArnLike), and both take '?' for exactly one character (IAM User Guide,
    "IAM JSON policy elements: Condition operators").
    """
    parts = function_arn.split(":")
    if len(parts) != 7 or parts[2] != "lambda" or parts[5] != "function":
        raise ValueError(f"{function_arn!r} is not an unqualified Lambda function ARN")
    _, partition, _, region, account, _, function_name = parts
    bus = f"{event_bus_name}/" if event_bus_name and event_bus_name != "default" else ""
    return (
        f"arn:{partition}:events:{region}:{account}:rule/{bus}{function_name}{RULE_NAME_SEPARATOR}"
        + "?" * RULE_INDEX_DIGITS
    )


def eventbridge_invoke_statement(statement_id: str, function_arn: str, rule_arn: str) -> dict[str, Any]:
    """The statement Lambda stores for AddPermission(Principal=events.amazonaws.com, SourceArn=rule).

    Its shape is GetPolicy's, as the Lambda Developer Guide's "Working with resource-based IAM policies
    in Lambda" shows it. No SourceAccount: EventBridge cannot invoke a function whose policy names one
    (EventBridge User Guide, "Troubleshooting Amazon EventBridge").
    """
    return {
        "Sid": statement_id,
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": function_arn,
        "Condition": {"ArnLike": {"AWS:SourceArn": rule_arn}},
    }


# SNS Developer Guide, "Sending Amazon SNS messages to an Amazon SQS queue or AWS Lambda function in a different
# Region": "When one of the Regions is an opt-in Region, you must specify a different Amazon SNS service principal in
# the subscribed resource's policy": a topic of an opt-in Region sends to a queue of a Region enabled by default as
# sns.REGION.amazonaws.com. Cross-region forwarding "from opt-in regions to other opt-in regions is not supported",
# and AWS documents none from a Region enabled by default into an opt-in Region ("Prerequisites for integrating
# Amazon SNS with Lambda functions across regions"). "Regions launched prior to March 20, 2019 are enabled by
# default": these, and the other partitions' own.
REGIONS_ENABLED_BY_DEFAULT = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
        "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
        "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
        "us-gov-west-1", "us-gov-east-1", "cn-north-1", "cn-northwest-1",
    }
)  # fmt: skip


def sns_delivery_problem(topic_region: str, queue_region: str) -> str | None:
    """Why SNS cannot deliver from a topic of ``topic_region`` to a queue of ``queue_region``, or None."""
    if topic_region == queue_region or queue_region in REGIONS_ENABLED_BY_DEFAULT:
        return None
    return (
        f"SNS does not deliver from {topic_region} to a queue in {queue_region}, an opt-in Region (SNS Developer "
        'Guide, "Sending Amazon SNS messages to an Amazon SQS queue or AWS Lambda function in a different Region": '
        "none between opt-in Regions, and none documented into one from another Region)"
    )


def sns_principal(topic_region: str, queue_region: str) -> str:
    """The service principal a topic of ``topic_region`` sends to a queue of ``queue_region`` as."""
    problem = sns_delivery_problem(topic_region, queue_region)
    if problem:
        raise ValueError(problem)
    if topic_region != queue_region and topic_region not in REGIONS_ENABLED_BY_DEFAULT:
        return f"sns.{topic_region}.amazonaws.com"
    return "sns.amazonaws.com"


# Amazon SQS policy quotas (SQS Developer Guide): at most 8,192 bytes, 20 statements, 50 principals.
MAX_QUEUE_POLICY_BYTES = 8_192
MAX_QUEUE_POLICY_PRINCIPALS = 50


def failure_queue_policy(queue_arn: str, topic_name: str, topic_regions: Sequence[str]) -> str:
    """The failure topics of every member Region, and no other topic, may send to the relay queue: one statement.

    The topics are this account's and share one name, one per Region, so aws:SourceArn (which SNS sets when it
    sends to a queue: SNS Developer Guide, "Fanout to Amazon SQS queues") matches them with one ArnLike pattern
    whose Region is '*' ("each of the six colon-delimited components of the ARN is checked separately and each can
    include multi-character match wildcards": IAM User Guide, "IAM JSON policy elements: Condition operators").
    The principals are sns.amazonaws.com and the own principal of each opt-in Region listed (sns_principal): the
    statement does not grow with accounts, and with Regions only by those names, at most the opt-in Regions AWS has.
    """
    partition, queue_region, account = _arn_fields(queue_arn, "sqs")
    principals = sorted({sns_principal(region, queue_region) for region in topic_regions} or {"sns.amazonaws.com"})
    return resource_policy(
        "MemberRegionsFailureTopicsSend",
        {"Service": principals[0] if len(principals) == 1 else principals},
        "sqs:SendMessage",
        queue_arn,
        {"ArnLike": {"aws:SourceArn": f"arn:{partition}:sns:*:{account}:{topic_name}"}},
    )


def relay_queue_read_policy(queue_arn: str) -> str:
    """The function's role may read the relay queue, and only it: what Lambda's event source mapping calls as the
    function (Lambda Developer Guide, "Using Lambda with Amazon SQS", execution role permissions)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ReadForwardingFailures",
                    "Effect": "Allow",
                    "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                    "Resource": queue_arn,
                }
            ],
        }
    )


def function_resource_policy(statements: Sequence[dict[str, Any]]) -> str:
    """The function's whole resource-based policy as Lambda stores it (compact JSON), to measure it."""
    return json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": list(statements)}, separators=(",", ":"))
