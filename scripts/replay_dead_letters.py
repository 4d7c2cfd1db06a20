"""Send the events parked in a dead-letter queue back through the logger, once the cause is fixed.

    python scripts/replay_dead_letters.py \\
        --queue-url "$(pulumi stack output failedEventsQueueUrl)" \\
        --function-name "$(pulumi stack output functionName)"

Works on both queues: the undelivered queue holds the EventBridge events
themselves; the failed-events queue holds Lambda's failure records, whose
``requestPayload`` is the event. Each event is invoked synchronously, and its
message is deleted only after the invocation succeeded; a failed replay stays
in the queue (visible again after its visibility timeout) for the next try.
Uses boto3 and your usual AWS credentials; ``--dry-run`` shows what it would do.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Long enough for one synchronous invocation; the message reappears after it if the replay fails.
VISIBILITY_TIMEOUT_SECONDS = 120


@dataclass
class ReplayReport:
    replayed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"replayed {len(self.replayed)}, failed {len(self.failed)} (left in the queue), "
            f"unreadable {len(self.unreadable)} (left in the queue)"
        )


def event_of(body: str) -> Any:
    """The ECS event a dead letter carries; ValueError if the body is not one."""
    document = json.loads(body)
    if isinstance(document, dict) and "requestPayload" in document:
        return document["requestPayload"]  # a Lambda on-failure destination record
    if isinstance(document, dict) and "detail-type" in document:
        return document  # an event EventBridge could not deliver
    raise ValueError("neither an EventBridge event nor a Lambda failure record")


def replay(
    sqs: Any, lambda_client: Any, queue_url: str, function_name: str, *, limit: int = 1000, dry_run: bool = False
) -> ReplayReport:
    """Replay up to ``limit`` messages; each is deleted only once its invocation succeeded."""
    report = ReplayReport()
    seen: set[str] = set()
    while len(seen) < limit:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, limit - len(seen)),
            WaitTimeSeconds=1,
            VisibilityTimeout=VISIBILITY_TIMEOUT_SECONDS,
        )
        messages = [m for m in response.get("Messages", []) if m["MessageId"] not in seen]
        if not messages:
            break
        for message in messages:
            seen.add(message["MessageId"])
            _replay_one(sqs, lambda_client, queue_url, function_name, message, report=report, dry_run=dry_run)
    return report


def _replay_one(
    sqs: Any,
    lambda_client: Any,
    queue_url: str,
    function_name: str,
    message: dict[str, Any],
    *,
    report: ReplayReport,
    dry_run: bool,
) -> None:
    message_id = message["MessageId"]
    try:
        event = event_of(message["Body"])
    except ValueError as error:
        report.unreadable.append(f"{message_id}: {error}")
        return
    if dry_run:
        report.replayed.append(message_id)
        return
    try:
        result = lambda_client.invoke(
            FunctionName=function_name, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
        )
    except Exception as error:  # noqa: BLE001 - any failure leaves the message for the next try
        report.failed.append(f"{message_id}: {type(error).__name__}: {error}")
        return
    if result.get("StatusCode") != 200 or result.get("FunctionError"):
        report.failed.append(f"{message_id}: {result.get('FunctionError') or result.get('StatusCode')}")
        return
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    report.replayed.append(message_id)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue-url", required=True, help="deadLetterQueueUrl or failedEventsQueueUrl")
    parser.add_argument("--function-name", required=True, help="functionName from pulumi stack output")
    parser.add_argument("--region", help="AWS region (default: from the queue URL)")
    parser.add_argument("--limit", type=int, default=1000, help="most messages to replay (default 1000)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="read and check the messages, replay nothing (they stay hidden for two minutes after being read)",
    )
    options = parser.parse_args(argv)

    import boto3  # noqa: PLC0415 - only the command needs it, not the tests of replay()

    in_url = re.search(r"[a-z]{2}(?:-[a-z]+)+-\d+", options.queue_url)
    region = options.region or (in_url.group(0) if in_url else None)
    report = replay(
        boto3.client("sqs", region_name=region),
        boto3.client("lambda", region_name=region),
        options.queue_url,
        options.function_name,
        limit=options.limit,
        dry_run=options.dry_run,
    )
    for line in report.failed + report.unreadable:
        print(f"not replayed: {line}", file=sys.stderr)
    print(("dry run: would have " if options.dry_run else "") + report.summary())
    return 1 if report.failed or report.unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
