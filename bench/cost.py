"""What a million task events cost, from measured bytes and CPU and AWS's published prices.

Prices: AWS public pricing, us-east-1, as published on 2026-11-28 (unchanged since 2021 for
Lambda arm64; CloudWatch Logs' first ingestion tier). Check the pricing pages for your region.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

PRICES_DATE = "2026-11-28"
LAMBDA_REQUEST_USD = 0.20 / 1_000_000
LAMBDA_ARM64_GB_SECOND_USD = 0.0000133334
LOGS_INGESTION_USD_PER_GB = 0.50
MEMORY_GB = 128 / 1024
# Lambda gives a function a share of a vCPU in proportion to its memory: a whole one at 1,769 MB.
VCPU_SHARE_AT_128_MB = 128 / 1769

# Organisation mode forwards each event from the member's default bus to the central bus. EventBridge User Guide,
# "Sending and receiving events between AWS accounts in Amazon EventBridge": "Events sent from one account to
# another are charged to the sending account as custom events"; the same holds between two buses of one account
# (What's New, 2021-05-19: "Events sent to another event bus are billed as per custom events pricing"). "Amazon
# EventBridge pricing" (aws.amazon.com/eventbridge/pricing/, read on the date below): its own example prices AWS
# management events "delivered to a service in a different account" at "$1.00/M"; each 64 KB chunk of a payload is
# billed as one event; between regions, data transfer on top (not counted).
EVENTBRIDGE_PRICES_DATE = "2026-12-02"
EVENTBRIDGE_CUSTOM_EVENT_USD = 1.00 / 1_000_000
EVENTBRIDGE_CHUNK_BYTES = 64 * 1024

REQUEST_ID = "8f5f1d2e-0c3b-4a5d-9e6f-7a8b9c0d1e2f"  # Lambda's request ids are UUIDs: 36 characters
# The lines Lambda's text log format adds to every invocation, in the documented format ("Using CloudWatch Logs
# with Lambda", docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html): the reference design keeps
# them, this project's systemLogLevel WARN leaves them out. Figures of a small Go function on provided.al2023.
PLATFORM_LINES = (
    f"START RequestId: {REQUEST_ID} Version: $LATEST\n"
    f"END RequestId: {REQUEST_ID}\n"
    f"REPORT RequestId: {REQUEST_ID}\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t"
    "Max Memory Used: 21 MB\t\n"
)


@dataclass(frozen=True)
class Cost:
    billed_ms: int
    log_bytes: float
    lambda_usd: float
    logs_usd: float

    @property
    def total_usd(self) -> float:
        return self.lambda_usd + self.logs_usd


def per_million_events(cpu_us_here: float, log_bytes: float) -> Cost:
    """Cost of a million invocations, one event each, ``log_bytes`` ingested per invocation.

    Duration is the handler's CPU time measured here, stretched to a 128 MB share of a vCPU and
    rounded up to Lambda's 1 ms billing; the runtime's own per-invocation work is the same for
    both designs and left out.
    """
    billed_ms = max(1, math.ceil(cpu_us_here / VCPU_SHARE_AT_128_MB / 1000))
    events = 1_000_000
    lambda_usd = events * (LAMBDA_REQUEST_USD + MEMORY_GB * billed_ms / 1000 * LAMBDA_ARM64_GB_SECOND_USD)
    logs_usd = events * log_bytes / 1e9 * LOGS_INGESTION_USD_PER_GB
    return Cost(billed_ms, log_bytes, lambda_usd, logs_usd)


@dataclass(frozen=True)
class OrganizationCost:
    """A million task events of member accounts: the logger's own cost, and their forwarding to the central bus."""

    logger: Cost
    chunks_per_event: float
    forwarding_usd: float

    @property
    def total_usd(self) -> float:
        return self.logger.total_usd + self.forwarding_usd


def organization_per_million_events(logger: Cost, event_bytes: Sequence[int]) -> OrganizationCost:
    """``logger``'s cost plus one bus-to-bus delivery per event, billed per 64 KB chunk of the event as sent."""
    if not event_bytes:
        raise ValueError("no events to measure the forwarded bytes of")
    chunks = sum(max(1, math.ceil(size / EVENTBRIDGE_CHUNK_BYTES)) for size in event_bytes) / len(event_bytes)
    return OrganizationCost(logger, chunks, 1_000_000 * chunks * EVENTBRIDGE_CUSTOM_EVENT_USD)
