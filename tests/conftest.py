"""What every test shares: a fresh function instance per test, and set-up that is paid once per process.

- Every test starts with a fresh function instance: no event seen before (see handler/app.py, SEEN_EVENTS).
- botocore's parsed API models are shared by every boto3 session in the process. moto's ``mock_aws`` gives each
  test a new default session, and each new session would parse the same JSON models again (about 60 ms a client).
  The models are read-only data loaded from the installed botocore, so sharing them changes no call and no check.
- moto's SQS long polls pass in virtual time. ReceiveMessage with WaitTimeSeconds "waits for a message to arrive
  in the queue before returning" (SQS API Reference, ReceiveMessage); moto waits on a lock for real. In a test
  nothing else runs while the call waits, so no message can arrive: moving moto's SQS clock forward by the wait
  leaves every queue exactly as a real wait would (visibility timeouts and retention count on that clock too),
  without a second of sleep per empty receive.
- Hypothesis runs under a profile: "ci" when CI is set (no example database: a fresh clone has nowhere to keep
  one), "dev" otherwise (failing examples saved under .hypothesis/, which git ignores, and replayed first).
  The example counts are each test's own and the same in both.
- moto's SNS signs each message with a key of its subscription's own, a 2048-bit RSA key made for every new
  subscription (about 60 ms each, and the tests make hundreds of subscriptions). Every subscription of the process
  shares one key instead. SNS signs with its own certificate, not one per subscription, and no test checks a
  signature.
- Python's cyclic garbage collector runs between tests rather than in them. By default it collects its young
  generation every 700 allocations, and a program evaluated under Pulumi's mocks allocates hundreds of thousands
  of objects (outputs, futures, protobuf messages) that are all alive until the evaluation ends: a collection in
  the middle of one scans them all, finds almost nothing, and moves them to an older generation, which is scanned
  again later. Between two tests nearly all of a test's objects have been freed by reference counting, and what
  is left is cheap to scan: the collector takes 6% of the suite's CPU this way, 16% with thresholds alone. The young
  generation is collected before each test; within a test only past 200,000 new objects, so that a long test
  cannot grow without bound; the older generations not at all (what outlives a test is the process's caches and
  the module fixtures). The objects imported at start are frozen out of its reach. No test depends on when a
  cycle is freed.
- A pytest-xdist worker ends as soon as it has reported everything, without the collection of its whole heap and
  the interpreter's teardown that would follow: one to two seconds of the suite's wall time, with the controller
  waiting. The controller itself, and a run without workers (``-n 0``), exit as usual, with pytest's exit code.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
import moto.sns.models
import moto.sqs.models
import pytest
from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase

from handler import app

ROOT = Path(__file__).resolve().parent.parent

gc.freeze()
gc.set_threshold(200_000, 1_000, 1_000)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """The young generation collected between tests, when little of the last test is still alive."""
    gc.collect(0)


WORKER = bool(os.environ.get("PYTEST_XDIST_WORKER"))


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """A worker's last step: by now it has sent every report and its "workerfinished" (xdist/remote.py, in
    pytest_sessionfinish; the controller then ignores the end of its channel: xdist/workermanage.py). It closes the
    logging handlers, flushes what it printed and leaves, without the collection of the whole heap that pytest's
    unraisable-exception check makes at this point (what it found could no longer reach the controller) or the
    interpreter's teardown."""
    if WORKER:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In one process (``-n 0``): the cycles that outlived their tests are collected now, while pytest's session
    log handlers still take what finalizers log (asyncio's "exception was never retrieved" for the futures of a
    program the tests expect to fail), rather than at exit, after the summary, onto the terminal."""
    if not WORKER:
        gc.collect()


@functools.cache
def sns_signing_key() -> Any:
    """The key moto.sns.models.Subscription.private_key would make, made once."""
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


moto.sns.models.Subscription.private_key = lambda subscription: sns_signing_key()  # type: ignore[method-assign,assignment]

botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)

settings.register_profile("ci", database=None, print_blob=True)
settings.register_profile("dev", database=DirectoryBasedExampleDatabase(ROOT / ".hypothesis" / "examples"))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


class VirtualSqsClock:
    """moto's SQS clock: the real one plus every long-poll wait that was skipped rather than slept through."""

    def __init__(self) -> None:
        self.skipped_seconds = 0.0
        self.real_unix_time = moto.sqs.models.unix_time

    def unix_time(self, moment: datetime | None = None) -> float:
        return self.real_unix_time(moment) if moment else self.real_unix_time() + self.skipped_seconds

    def unix_time_millis(self, moment: datetime | None = None) -> float:
        return self.unix_time(moment) * 1000.0

    def wait_for_messages(self, queue: moto.sqs.models.Queue, timeout: int) -> None:
        if not queue.messages:  # moto's own wait returns at once when a message is receivable
            self.skipped_seconds += timeout


@pytest.fixture(autouse=True)
def sqs_long_polls_in_virtual_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[VirtualSqsClock]:
    clock = VirtualSqsClock()
    monkeypatch.setattr(moto.sqs.models, "unix_time", clock.unix_time)
    monkeypatch.setattr(moto.sqs.models, "unix_time_millis", clock.unix_time_millis)

    def wait_for_messages(queue: moto.sqs.models.Queue, timeout: int) -> None:
        clock.wait_for_messages(queue, timeout)

    monkeypatch.setattr(moto.sqs.models.Queue, "wait_for_messages", wait_for_messages)
    yield clock


@pytest.fixture(autouse=True)
def fresh_instance() -> None:
    app.forget_seen_events()
