"""A message to on-call survives an invocation that dies, times out or runs slow between claiming and publishing.

AWS behaviour relied on, by page (the test bed enforces each as noted):
- "How Lambda handles errors and retries with asynchronous invocation"
  (docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html): after a failed attempt, the first
  retry comes about one minute later and the second two minutes after that; "function errors include ... timeouts".
  The tests move the handler's clock 65 s on before the retry.
- "Using the Lambda context object to retrieve Python function information"
  (docs.aws.amazon.com/lambda/latest/dg/python-context.html): get_remaining_time_in_millis() is the time "left before
  the execution times out". The tests' context answers it from the handler's clock.
- botocore.config.Config: connect_timeout and read_timeout default to 60 s; boto3 guide "Retries": the default legacy
  mode makes up to 5 attempts, standard mode retries read timeouts. The slow-SNS test runs a real socket that never
  answers, so botocore's own timeout has to fire, and counts the attempts.
- DynamoDB UpdateItem, ReturnValuesOnConditionCheckFailure ALL_OLD: a refused condition returns the item
  (botocore reference, DynamoDB ConditionalCheckFailedException, 'Item'); moto implements it.
"""

from __future__ import annotations

import copy
import io
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from handler_capture import FakeContext
from test_notify import Aws
from test_stop_sequence import stopped

from handler import app, notify
from handler.log_format import LambdaJsonFormatter
from rehearse.mocks import ACCOUNT, REGION
from rehearse.play import emulated_aws

FUNCTION_TIMEOUT_MS = 5000  # the component's default timeoutSeconds
LAMBDA_FIRST_RETRY_SECONDS = 65  # "a one-minute wait", and a little


class Killed(BaseException):
    """Lambda stopping the instance: no handler code runs after it (not even an ``except Exception``)."""


class Context(FakeContext):
    """A Lambda context whose deadline is ``timeout_ms`` after its creation, on ``clock``."""

    def __init__(self, clock: Callable[[], float], timeout_ms: int = FUNCTION_TIMEOUT_MS) -> None:
        self.clock = clock
        self.deadline = clock() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self.clock()) * 1000))


@pytest.fixture
def bed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    with emulated_aws(REGION, ACCOUNT):
        yield Aws(monkeypatch)


def invoke(event: dict[str, Any], context: Any) -> BaseException | None:
    """One invocation on a fresh instance (a killed or timed-out one is gone); what it raised, if anything."""
    app.forget_seen_events()
    notify._CLIENTS.clear()
    output = logging.StreamHandler(io.StringIO())
    output.setFormatter(LambdaJsonFormatter(request_id=FakeContext.aws_request_id))
    logger = logging.getLogger(app.LOGGER_NAME)
    logger.addHandler(output)
    logger.setLevel(logging.INFO)
    try:
        app.handler(event, context)
    except BaseException as error:  # noqa: BLE001 - the test looks at it, Killed included
        return error
    finally:
        logger.removeHandler(output)
    return None


def claim_of(bed: Aws, event: dict[str, Any]) -> dict[str, Any]:
    """The message's claim item, as the table holds it."""
    task_arn = event["detail"]["taskArn"]
    item = bed.dynamodb.get_item(TableName=bed.table, Key={"pk": {"S": f"msg#task#{task_arn}"}})["Item"]
    return {name: next(iter(value.values())) for name, value in item.items()}


def replacing(monkeypatch: pytest.MonkeyPatch, service: str, **methods: Callable[..., Any]) -> None:
    """notify's client for ``service`` with some methods replaced; the real (configured) client otherwise."""
    real = notify.client

    class Patched:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return methods.get(name) or getattr(self.inner, name)

    monkeypatch.setattr(notify, "client", lambda name: Patched(real(name)) if name == service else real(name))


def test_an_invocation_killed_after_claiming_is_taken_over_by_the_retry_a_minute_later(
    bed: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between the claim and the publish: the retry 65 s later (Lambda's first retry) sends exactly once."""
    event = stopped(8, "killed")

    def killed(**_: Any) -> None:
        raise Killed

    with monkeypatch.context() as patch:
        replacing(patch, "sns", publish=killed)
        raised = invoke(event, Context(lambda: bed.now))
    assert isinstance(raised, Killed)
    claim = claim_of(bed, event)
    assert claim["st"] == "claimed"  # nothing ran to release it
    assert int(claim["holdUntil"]) == int(bed.now) + FUNCTION_TIMEOUT_MS // 1000  # the holder's deadline is stored
    assert bed.messages() == []
    bed.now += LAMBDA_FIRST_RETRY_SECONDS
    assert invoke(copy.deepcopy(event), Context(lambda: bed.now)) is None
    (message,) = bed.messages()
    assert message["Subject"].startswith("orders-api: task 5e1c2a9b")
    assert invoke(copy.deepcopy(event), Context(lambda: bed.now)) is None  # a later copy: already sent
    assert bed.messages() == []


def test_a_failure_while_opening_the_window_marks_the_claim_failed(bed: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every step after the claim that fails releases it: here the window's UpdateItem is throttled."""
    event = stopped(8, "window-fails")

    def throttled(self: notify.State, *_: Any) -> None:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "UpdateItem")

    with monkeypatch.context() as patch:
        patch.setattr(notify.State, "open_window", throttled)
        raised = invoke(event, Context(lambda: bed.now))
    assert isinstance(raised, ClientError)
    assert claim_of(bed, event)["st"] == "failed"
    bed.now += LAMBDA_FIRST_RETRY_SECONDS
    assert invoke(copy.deepcopy(event), Context(lambda: bed.now)) is None
    assert len(bed.messages()) == 1


def test_a_copy_that_finds_a_live_claim_fails_rather_than_answer_already_sent(
    bed: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 15-minute function killed early (out of memory, say): its claim's deadline is still ahead when Lambda's
    retry comes. The retry waits for it, runs out of its own time and fails, so Lambda retries it again, and the
    retry after the deadline sends once. Nothing answers "already sent" while the message is unsent."""
    event = stopped(8, "long-function")
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        bed.now += seconds

    monkeypatch.setattr(notify, "SLEEP", wait)

    def killed(**_: Any) -> None:
        raise Killed

    with monkeypatch.context() as patch:
        replacing(patch, "sns", publish=killed)
        assert isinstance(invoke(event, Context(lambda: bed.now, timeout_ms=900_000)), Killed)
    bed.now += LAMBDA_FIRST_RETRY_SECONDS
    raised = invoke(copy.deepcopy(event), Context(lambda: bed.now))
    assert isinstance(raised, notify.ClaimInFlight) and waits
    assert bed.messages() == [] and claim_of(bed, event)["st"] == "claimed"
    bed.now += 900  # past the holder's deadline
    assert invoke(copy.deepcopy(event), Context(lambda: bed.now, timeout_ms=900_000)) is None
    assert len(bed.messages()) == 1


def test_a_copy_waits_for_a_live_claim_and_sends_nothing_once_it_is_sent(
    bed: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two copies at once: the second finds the first's claim, waits, sees it sent, and sends nothing."""
    event = stopped(8, "concurrent")
    task_key = {"pk": {"S": f"msg#task#{event['detail']['taskArn']}"}}
    bed.dynamodb.put_item(  # the first copy's claim, mid-publish, its deadline 4 s ahead
        TableName=bed.table,
        Item={
            **task_key,
            "st": {"S": "claimed"},
            "claimedAt": {"N": str(int(bed.now))},
            "holdUntil": {"N": str(int(bed.now) + 4)},
        },
    )
    waits: list[float] = []

    def wait(seconds: float) -> None:  # meanwhile the first copy publishes and marks its claim sent
        waits.append(seconds)
        bed.now += seconds
        bed.dynamodb.update_item(
            TableName=bed.table,
            Key=task_key,
            UpdateExpression="SET st = :s",
            ExpressionAttributeValues={":s": {"S": "sent"}},
        )

    monkeypatch.setattr(notify, "SLEEP", wait)
    assert invoke(event, Context(lambda: bed.now)) is None
    assert waits == [notify.CLAIM_POLL_SECONDS] and bed.messages() == []


def test_too_little_time_left_releases_the_claim_instead_of_publishing(
    bed: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An invocation that starts with 1.5 s left must not begin a publish it could not finish and mark failed."""
    event = stopped(8, "late")
    published: list[dict[str, Any]] = []
    replacing(monkeypatch, "sns", publish=lambda **params: published.append(params))
    raised = invoke(event, Context(lambda: bed.now, timeout_ms=1500))
    assert isinstance(raised, notify.OutOfTime) and "left of the invocation" in str(raised)
    assert published == [] and claim_of(bed, event)["st"] == "failed"


class Silent:
    """A TCP endpoint that reads each request and never answers, holding each connection up to ``hold`` seconds."""

    def __init__(self, hold: float) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.hold = hold
        self.connections = 0
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._hold, args=(connection,), daemon=True).start()

    def _hold(self, connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            self.stop.wait(self.hold)

    def close(self) -> None:
        self.stop.set()
        self.server.close()


def test_a_slow_sns_times_out_inside_the_function_timeout_and_the_retry_sends_once(
    bed: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SNS accepts the connection and never answers: botocore's read timeout fires (real sockets, real clock) on
    each of the standard mode's 2 attempts, within the 5 s function timeout; the claim is marked failed and the
    retry sends exactly once."""
    monkeypatch.setattr(notify, "CLOCK", time.time)
    silent = Silent(hold=8)
    event = stopped(8, "slow-sns")
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", silent.url)  # botocore's per-service endpoint variable
        started = time.monotonic()
        raised = invoke(event, Context(time.time))
        took = time.monotonic() - started
    finally:
        silent.close()
    assert isinstance(raised, ReadTimeoutError)
    assert took < FUNCTION_TIMEOUT_MS / 1000, f"the publish took {took:.1f} s, past the function's timeout"
    assert silent.connections == notify.CALL_ATTEMPTS
    assert claim_of(bed, event)["st"] == "failed"
    monkeypatch.delenv("AWS_ENDPOINT_URL_SNS")
    assert invoke(copy.deepcopy(event), Context(time.time)) is None
    (message,) = bed.messages()
    assert message["Subject"].startswith("orders-api: task 5e1c2a9b")


def test_attempt_timeouts_fit_the_function_timeout() -> None:
    """A call at its longest, plus one attempt to mark the claim failed, fits in the default 5 s with room."""
    for budget in (5.0, 10.0, 900.0):
        timeout = notify.attempt_timeout(budget)
        longest = notify.CALL_ATTEMPTS * 2 * timeout + (notify.CALL_ATTEMPTS - 1) * notify.RETRY_BACKOFF_SECONDS
        assert longest + 2 * timeout < budget * 0.75


class _SizedClient:
    """A client whose config is what notify.client gives an instance of ``budget`` seconds."""

    def __init__(self, budget: float) -> None:
        timeout = notify.attempt_timeout(budget)
        self.meta = type(
            "Meta", (), {"config": type("Config", (), {"connect_timeout": timeout, "read_timeout": timeout})}
        )


def _can_publish(timeout_seconds: float, spent: float) -> bool:
    now = 1_000.0
    context = Context(lambda: now, timeout_ms=int((timeout_seconds - spent) * 1000))
    deadline = notify.Deadline(context, now)
    sized = _SizedClient(timeout_seconds)
    original = notify.CLOCK
    notify.CLOCK = lambda: now
    try:
        deadline.check("publish", sized, sized)
    except notify.OutOfTime:
        return False
    finally:
        notify.CLOCK = original
    return True


def test_the_shortest_timeout_the_component_allows_with_notifications_can_publish() -> None:
    """components/notifications.py refuses a timeoutSeconds below MIN_TIMEOUT_SECONDS with notifications on: at
    that timeout the handler still publishes after a normal start (claim and window: 0.6 s spent), below it not."""
    from components.notifications import MIN_TIMEOUT_SECONDS  # noqa: PLC0415

    assert _can_publish(MIN_TIMEOUT_SECONDS, spent=0.6)
    assert not _can_publish(MIN_TIMEOUT_SECONDS - 1, spent=0.6)
