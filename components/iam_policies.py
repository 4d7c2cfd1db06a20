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


def rule_dead_letter_queue_policy(queue_arn: str, rule_arns: Sequence[str]) -> str:
    """EventBridge may park undeliverable events here, and only for these rules."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EventBridgeDeadLetters",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {
                        "ArnEquals": {"aws:SourceArn": rule_arns[0] if len(rule_arns) == 1 else list(rule_arns)}
                    },
                }
            ],
        }
    )


def failed_events_queue_policy(queue_arn: str, role_arn: str) -> str:
    """Only the function's role may send here (Lambda sends failed invocations as the function)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "FunctionFailedEvents",
                    "Effect": "Allow",
                    "Principal": {"AWS": role_arn},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                }
            ],
        }
    )


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


def function_resource_policy(statements: Sequence[dict[str, Any]]) -> str:
    """The function's whole resource-based policy as Lambda stores it (compact JSON), to measure it."""
    return json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": list(statements)}, separators=(",", ":"))


def max_invoke_statements() -> int:
    """How many worst-case invoke statements fit in one function policy."""
    statement = eventbridge_invoke_statement(LONGEST_STATEMENT_ID, LONGEST_FUNCTION_ARN, LONGEST_RULE_ARN)
    count = 0
    while len(function_resource_policy([statement] * (count + 1)).encode()) <= MAX_FUNCTION_POLICY_BYTES:
        count += 1
    return count
