"""The IAM documents: who may assume the function's role, and what the role may do."""

from __future__ import annotations

import json
from collections.abc import Sequence


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
