"""The IAM documents: who may assume the function's role, and what the role may do."""

from __future__ import annotations

import json


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


def log_writer_policy(log_group_arn: str) -> str:
    """Write to the function's own log group and nothing else.

    AWSLambdaBasicExecutionRole would grant every log group in the account.
    The ':*' form covers the group's log streams, which PutLogEvents acts on.
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "WriteOwnLogGroup",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": [log_group_arn, f"{log_group_arn}:*"],
                }
            ],
        }
    )
