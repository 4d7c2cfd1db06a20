"""The shortcuts tests/conftest.py takes for speed leave AWS's behaviour, as moto plays it, as it was.

SQS API Reference, ReceiveMessage (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/
API_ReceiveMessage.html): WaitTimeSeconds is "the duration (in seconds) for which the call waits for a message to
arrive in the queue before returning. If a message is available, the call returns sooner than WaitTimeSeconds";
VisibilityTimeout hides a received message from later ReceiveMessage calls for that many seconds.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from conftest import VirtualSqsClock, sns_signing_key
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from pulumi.runtime import resource as pulumi_resource

from rehearse import api_model, clients, mocks
from rehearse.play import emulated_aws

REGION = "eu-west-1"
ACCOUNT = "111122223333"


@pytest.fixture
def sqs() -> Iterator[Any]:
    with emulated_aws(REGION, ACCOUNT):
        yield boto3.client("sqs", region_name=REGION)


def receive(sqs: Any, url: str, wait: int, visibility: int = 30) -> list[str]:
    response = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=wait, VisibilityTimeout=visibility)
    return [message["Body"] for message in response.get("Messages", [])]


def test_a_long_poll_on_an_empty_queue_returns_nothing_at_once_and_moves_the_clock(
    sqs: Any, sqs_long_polls_in_virtual_time: VirtualSqsClock
) -> None:
    url = sqs.create_queue(QueueName="empty")["QueueUrl"]
    start = time.monotonic()
    assert receive(sqs, url, wait=20) == []
    assert time.monotonic() - start < 5, "the 20 s long poll was slept through"
    assert sqs_long_polls_in_virtual_time.skipped_seconds >= 20


def test_a_long_poll_with_a_message_waiting_returns_it_without_moving_the_clock(
    sqs: Any, sqs_long_polls_in_virtual_time: VirtualSqsClock
) -> None:
    url = sqs.create_queue(QueueName="one")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert receive(sqs, url, wait=20) == ["hello"]
    assert sqs_long_polls_in_virtual_time.skipped_seconds == 0


def test_visibility_timeouts_count_on_the_same_clock(sqs: Any, sqs_long_polls_in_virtual_time: VirtualSqsClock) -> None:
    """A received message stays hidden for its visibility timeout; a long poll returns it when it is back."""
    url = sqs.create_queue(QueueName="hidden")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert receive(sqs, url, wait=0, visibility=10) == ["hello"]
    assert receive(sqs, url, wait=0) == []  # in flight: hidden
    assert receive(sqs, url, wait=5) == []  # 5 s of the 10 s have passed
    assert receive(sqs, url, wait=0) == []
    assert receive(sqs, url, wait=20) == ["hello"]  # back 10 s after it was received, inside this poll
    assert 10 <= sqs_long_polls_in_virtual_time.skipped_seconds <= 12, "the poll ended early or ran to its end"


def test_every_session_reads_the_same_parsed_api_models() -> None:
    """moto gives each test a new default session; the models are parsed once per process, not once per session."""
    first, second = boto3.session.Session(region_name=REGION), boto3.session.Session(region_name=REGION)
    model = first.client("sqs").meta.service_model
    assert second.client("sqs").meta.service_model._service_description is model._service_description


def registered(run: mocks.Run) -> str:
    """What a run registered, comparable across runs. The function's code archive is an object of its own each run,
    so its file names stand for it; the order in which resources register depends on when their inputs settle, so
    they are sorted."""
    return json.dumps(
        sorted(([r.type, r.name, r.inputs, r.outputs] for r in run.mocks.resources), key=lambda r: r[:2]),
        default=lambda archive: sorted(archive.assets),
    )


@pytest.mark.parametrize("shortcut", ["_without_stack_traces", "_monitor_answers_inline"])
def test_each_shortcut_of_the_mocks_leaves_what_the_program_registers_as_it_was(
    shortcut: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rehearse/mocks.run takes two shortcuts through the SDK (pulumi/runtime/resource.py): every resource gets an
    empty stack trace (the engine's diagnostics are the only reader), and the mock monitor's answers are computed in
    the event loop's thread rather than a pool thread. With either shortcut left out, every resource, its inputs,
    the outputs and the stack's exports must come out the same; and after a run, the SDK's stack walk and the
    loop's own executor are back."""
    sdk_walk = pulumi_resource._get_stack_trace
    loop = asyncio.get_event_loop()
    executor = loop._default_executor  # type: ignore[attr-defined]
    config = mocks.stack_config(clusterArn=mocks.CLUSTER_ARN, alertEmail="oncall@example.com", actionLogs="true")
    fast = mocks.run_program(config)
    assert pulumi_resource._get_stack_trace is sdk_walk
    assert loop._default_executor is executor  # type: ignore[attr-defined]

    monkeypatch.setattr(mocks, shortcut, contextlib.nullcontext)
    without = mocks.run_program(config)

    assert len(fast.mocks.resources) > 20
    assert registered(fast) == registered(without)
    assert fast.outputs == without.outputs


def test_subscriptions_sharing_one_signing_key_still_get_signed_messages(sqs: Any) -> None:
    """SNS delivers to SQS the envelope with a Signature over its fields (SNS Developer Guide, "Verifying the
    signatures of Amazon SNS messages"); with the one shared key, each subscription still gets its copy, signed
    (SHA256, SignatureVersion 2, over the fields moto signs) by that key."""
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="signed")["TopicArn"]
    queues = [sqs.create_queue(QueueName=f"inbox-{n}")["QueueUrl"] for n in (1, 2)]
    for url in queues:
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="hello", Subject="hi")
    envelopes = [json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"]) for url in queues]
    assert [(e["Message"], e["Subject"]) for e in envelopes] == [("hello", "hi")] * 2
    for envelope in envelopes:
        signed = "".join(f"{field}\n{envelope[field]}\n" for field in ("Message", "MessageId", "Timestamp", "TopicArn"))
        sns_signing_key().public_key().verify(  # raises InvalidSignature otherwise
            base64.b64decode(envelope["Signature"]),
            f"{signed}Type\nNotification\n".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )


def test_a_shared_client_answers_for_each_rehearsals_account_and_data() -> None:
    """One client per service and Region serves every rehearsal of the process (rehearse/clients.py). moto reads the
    account from MOTO_ACCOUNT_ID on each request and resets its backends when a mock ends, so a client made in one
    rehearsal sees only the next one's account and queues, as a fresh client would."""
    with emulated_aws(REGION, ACCOUNT):
        first = clients.client("sqs", REGION)
        url = first.create_queue(QueueName="left-behind")["QueueUrl"]
        assert ACCOUNT in url
    with emulated_aws(REGION, "444455556666"):
        again = clients.client("sqs", REGION)
        assert again is first
        assert again.list_queues().get("QueueUrls", []) == []
        assert "444455556666" in again.create_queue(QueueName="fresh")["QueueUrl"]


def test_a_shared_client_is_refused_outside_the_emulator() -> None:
    """A client made outside moto would carry the machine's own credentials: none is handed out there."""
    with pytest.raises(RuntimeError, match="no emulator is running"):
        clients.client("sqs", REGION)


def test_the_checked_client_keeps_its_checks_and_the_plain_one_has_none() -> None:
    """The rehearsal's resources are made with clients checked against the API model (rehearse/api_model.py);
    sharing them must neither drop those checks nor put them on the plain clients that tests use to break things.
    EventBridge's PutRule takes a Description of at most 512 characters (EventBridge API Reference, PutRule)."""
    pattern = json.dumps({"source": ["aws.ecs"]})
    with emulated_aws(REGION, ACCOUNT):
        with pytest.raises(api_model.ModelViolation):
            clients.checked_client("events", REGION).put_rule(Name="loose", Description="d" * 513, EventPattern=pattern)
        clients.client("events", REGION).put_rule(Name="loose", Description="d" * 513, EventPattern=pattern)
        with pytest.raises(api_model.ModelViolation, match="no endpoint in af-south-1"):
            clients.checked_client("chatbot", "af-south-1")
