"""Send the events parked in a dead-letter queue back through the logger, once the cause is fixed.

    python scripts/replay_dead_letters.py --dry-run \\
        --queue-url "$(pulumi stack output failedEventsQueueUrl)" \\
        --function-name "$(pulumi stack output functionName)"

Works on both queues: the undelivered queue holds the EventBridge events
themselves; the failed-events queue holds Lambda's failure records, whose
``requestPayload`` is the event, and, in organisation mode, the members' alarm
notifications the function could not pass on from its relay queue (SNS's
notification JSON), which are replayed as the relay queue's event. Each event
is invoked synchronously, and its message is deleted only after the invocation
succeeded. Every message the run
read and did not delete (a failed replay, an unreadable message, or all of them
on a dry run) is made visible again when the run ends, so the next run sees it
at once. The run then asks the queue what is left, and exits 1 if anything is.
Uses boto3 and your usual AWS credentials, in the queue's region.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PROG = "replay_dead_letters.py"

# Long enough for one synchronous invocation, so a run does not read the same message twice;
# the run makes what it did not delete visible again at its end.
VISIBILITY_TIMEOUT_SECONDS = 120

# What `pulumi stack output ...QueueUrl` prints: https://sqs.REGION.amazonaws.com/ACCOUNT/NAME
QUEUE_URL = re.compile(
    r"https://sqs\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?/\d{12}/[A-Za-z0-9_-]{1,80}(?:\.fifo)?"
)
QUEUE_URL_SHAPE = "https://sqs.REGION.amazonaws.com/ACCOUNT/NAME"


class UsageError(Exception):
    """A mistake in the command line or the environment; main prints it as one line and exits 2."""


@dataclass
class ReplayReport:
    replayed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    unreleased: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"replayed {len(self.replayed)}, failed {len(self.failed)} (left in the queue), "
            f"unreadable {len(self.unreadable)} (left in the queue)"
        )


@dataclass(frozen=True)
class QueueDepth:
    """GetQueueAttributes' approximate counts: messages ready to receive, and messages received but not deleted."""

    visible: int
    in_flight: int

    @property
    def total(self) -> int:
        return self.visible + self.in_flight


def event_of(body: str) -> Any:
    """The ECS event a dead letter carries; ValueError if the body is not one."""
    document = json.loads(body)
    if isinstance(document, dict) and "requestPayload" in document:
        return document["requestPayload"]  # a Lambda on-failure destination record
    if isinstance(document, dict) and "detail-type" in document:
        return document  # an event EventBridge could not deliver
    if isinstance(document, dict) and document.get("Type") == "Notification" and "TopicArn" in document:
        # A member's alarm moved here from the relay queue: handed over again as Lambda reads that queue.
        message_id = document.get("MessageId")
        return {
            "Records": [
                {
                    "messageId": message_id if isinstance(message_id, str) and message_id else "replayed",
                    "eventSource": "aws:sqs",
                    "body": body,
                }
            ]
        }
    raise ValueError("neither an EventBridge event, a Lambda failure record nor a relayed alarm notification")


def region_of(queue_url: str) -> str:
    """The region in a queue URL; UsageError if the URL is not one."""
    if not queue_url.strip():
        raise UsageError(
            "--queue-url is empty: did `pulumi stack output` print nothing? "
            "Select the stack (`pulumi stack select`), deploy it, and check deadLetterQueues is on"
        )
    match = QUEUE_URL.fullmatch(queue_url)
    if match is None:
        raise UsageError(
            f"--queue-url {queue_url!r} is not a queue URL ({QUEUE_URL_SHAPE}); "
            'pass "$(pulumi stack output failedEventsQueueUrl)" or "$(pulumi stack output deadLetterQueueUrl)"'
        )
    return match.group("region")


def replay(
    sqs: Any, lambda_client: Any, queue_url: str, function_name: str, *, limit: int = 1000, dry_run: bool = False
) -> ReplayReport:
    """Replay up to ``limit`` messages; each is deleted only once its invocation succeeded.

    The messages read but not deleted are made visible again before returning, even if the run is interrupted.
    """
    report = ReplayReport()
    seen: set[str] = set()
    kept: dict[str, str] = {}  # message id -> receipt handle, for the messages read and not deleted
    try:
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
                deleted = _replay_one(
                    sqs, lambda_client, queue_url, function_name, message, report=report, dry_run=dry_run
                )
                if not deleted:
                    kept[message["MessageId"]] = message["ReceiptHandle"]
    finally:
        _release(sqs, queue_url, kept, report)
    return report


def _release(sqs: Any, queue_url: str, kept: dict[str, str], report: ReplayReport) -> None:
    """Make the messages visible again now rather than after the visibility timeout.

    A new timeout counts from the ChangeMessageVisibility call, and 0 is allowed: the message is receivable at once.
    """
    for message_id, receipt_handle in kept.items():
        try:
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=0)
        except Exception as error:  # noqa: BLE001 - it reappears after its visibility timeout all the same
            report.unreleased.append(f"{message_id}: {type(error).__name__}: {error}")


def _replay_one(
    sqs: Any,
    lambda_client: Any,
    queue_url: str,
    function_name: str,
    message: dict[str, Any],
    *,
    report: ReplayReport,
    dry_run: bool,
) -> bool:
    """Replay one message; True if it was deleted."""
    message_id = message["MessageId"]
    try:
        event = event_of(message["Body"])
    except (ValueError, RecursionError) as error:  # RecursionError: nested deeper than the json parser goes
        report.unreadable.append(f"{message_id}: {type(error).__name__}: {error}")
        return False
    if dry_run:
        report.replayed.append(message_id)
        return False
    try:
        result = lambda_client.invoke(
            FunctionName=function_name, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
        )
    except Exception as error:  # noqa: BLE001 - any failure leaves the message for the next try
        report.failed.append(f"{message_id}: {type(error).__name__}: {error}")
        return False
    if result.get("StatusCode") != 200 or result.get("FunctionError"):
        report.failed.append(f"{message_id}: {result.get('FunctionError') or result.get('StatusCode')}")
        return False
    if _unsent(result):
        report.failed.append(f"{message_id}: the function could not send the alarm's message (batchItemFailures)")
        return False
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    report.replayed.append(message_id)
    return True


def _unsent(result: dict[str, Any]) -> bool:
    """Whether a relayed alarm's invocation answered that its message was not sent (a partial batch failure)."""
    payload: Any = result.get("Payload")
    text = payload.read() if hasattr(payload, "read") else payload
    try:
        answer = json.loads(text) if text else None
    except (ValueError, TypeError):
        return False
    return isinstance(answer, dict) and bool(answer.get("batchItemFailures"))


def queue_depth(sqs: Any, queue_url: str) -> QueueDepth:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return QueueDepth(
        visible=int(attributes["ApproximateNumberOfMessages"]),
        in_flight=int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def leftover_problems(report: ReplayReport, depth: QueueDepth, *, dry_run: bool, limit: int) -> list[str]:
    """Why the queue is not done with, one line each; empty if it is.

    After a real run anything left in the queue counts. After a dry run the messages it read are of course
    still there; what counts is what a real run now would miss: messages in flight (received by someone else,
    hidden until their visibility timeout ends) and messages beyond ``limit``.
    """
    counts = f"{depth.visible} visible, {depth.in_flight} in flight; SQS's counts are approximate"
    in_flight = (
        f"{depth.in_flight} message(s) are in flight: another reader (a run that was killed, a look in the "
        "console) received them, and they stay hidden until its visibility timeout ends (the queue's setting, "
        "or what the reader asked for); run again after that"
    )
    if dry_run:
        problems = [in_flight] if depth.in_flight else []
        read = len(report.replayed) + len(report.unreadable)
        if read >= limit and depth.visible > read:
            problems.append(f"the queue holds more than --limit {limit} messages; a real run replays only {limit}")
        return [f"{problem} ({counts})" for problem in problems]
    if not depth.total:
        return []
    problems = [f"{depth.total} message(s) are still in the queue ({counts})"]
    if depth.in_flight:
        problems.append(in_flight)
    if depth.visible and not (report.failed or report.unreadable):
        problems.append("run again to replay the visible ones (or raise --limit)")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue-url", required=True, help="deadLetterQueueUrl or failedEventsQueueUrl")
    parser.add_argument("--function-name", required=True, help="functionName from pulumi stack output")
    parser.add_argument(
        "--region", help="AWS region; the queue's own, so it may be left out (default: the region in --queue-url)"
    )
    parser.add_argument("--limit", type=int, default=1000, help="most messages to replay (default 1000)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="read and check the messages, replay nothing; they are visible again when it ends",
    )
    options = parser.parse_args(argv)
    if options.limit < 1:
        parser.error("--limit must be 1 or more")
    try:
        return _run(options)
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2


def _run(options: argparse.Namespace) -> int:
    region = region_of(options.queue_url)
    if options.region is not None and options.region != region:
        raise UsageError(
            f"--region {options.region!r} is not the region of the queue in --queue-url ({region!r}); "
            "are they from different stacks? Pass the queue's region, or leave --region out"
        )

    import boto3  # noqa: PLC0415 - only the command needs it, not the tests of replay()
    from botocore.exceptions import (  # noqa: PLC0415
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        ProfileNotFound,
    )

    try:
        sqs = boto3.client("sqs", region_name=region)
        report = replay(
            sqs,
            boto3.client("lambda", region_name=region),
            options.queue_url,
            options.function_name,
            limit=options.limit,
            dry_run=options.dry_run,
        )
        depth = queue_depth(sqs, options.queue_url)
    except NoCredentialsError:
        raise UsageError(
            "no AWS credentials found: run `aws configure` or `aws sso login`, or set AWS_PROFILE "
            "(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        ) from None
    except ProfileNotFound as error:
        raise UsageError(
            f"{error}: set AWS_PROFILE to one that `aws configure list-profiles` lists, or unset it"
        ) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        text = _one_line(error.response.get("Error", {}).get("Message", "") or str(error))
        if "NonExistentQueue" in code or code == "QueueDoesNotExist":
            raise UsageError(
                f"there is no queue {options.queue_url} in {region}: "
                "check --queue-url against `pulumi stack output` of the stack you mean"
            ) from None
        raise UsageError(f"AWS refused {error.operation_name} ({code}): {text}") from None
    except BotoCoreError as error:
        raise UsageError(_one_line(f"{type(error).__name__}: {error}")) from None

    for line in report.failed + report.unreadable:
        print(f"not replayed: {line}", file=sys.stderr)
    for line in report.unreleased:
        print(f"not made visible again (it will be after {VISIBILITY_TIMEOUT_SECONDS}s): {line}", file=sys.stderr)
    print(("dry run: would have " if options.dry_run else "") + report.summary())
    problems = leftover_problems(report, depth, dry_run=options.dry_run, limit=options.limit)
    for problem in problems:
        print(f"{PROG}: {problem}", file=sys.stderr)
    return 1 if report.failed or report.unreadable or problems else 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
