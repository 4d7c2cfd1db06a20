"""Benchmarks of the handler against the reference design, side by side in one run.

    .venv/bin/python bench/run.py [--rounds N]

The reference design logs every event whole: compact ``json.dumps(event)`` plus
one write (a Go function's ``json.Marshal`` and ``fmt.Println``), and its runtime
writes Lambda's START, END and REPORT lines for every invocation. This measures,
over the sample events in tests/events/:

- CPU time per event, ours / reference, as the median ratio of interleaved rounds
  (both run in this process, against the same discarding sink);
- bytes ingested per task event: our record as Lambda's JSON log format renders it
  (systemLogLevel WARN: no platform lines) / the compact dump, its newline and the
  three platform lines; with a table of what each field of our records costs;
- the cold-start cost of importing the handler from the deployment zip in fresh
  interpreters that first import what the Lambda Python runtime has loaded;
- the deployment package: zip size and file list;
- the program: evaluating __main__.py under the mocks for 1, 30 and 200 clusters, as ratios to 1;
- the redaction of a container's log line: time per character on a 64 KB line over that on a 1 KB one, for the
  shapes of line that make backtracking patterns slow (bench/redaction.py);
- the cost per million task events, for this project and the reference design (bench/cost.py);
- the test command's wall time, `bash scripts/test.sh` (lint, type checks, tests), side by side with the baseline
  commit's own (--suite-baseline, default the tree the budget's 110 s timed), the two taking turns, as both
  medians and their ratio, which the budget holds to 45/110 (bench/suite.py; --suite-runs 0 leaves it out,
  --suite-baseline '' times this tree alone, in a row, against 45 s).

Budgets are printed as PASS/FAIL lines; the exit code is 1 if one fails.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import cost, program_bench, redaction, suite  # noqa: E402
from bench.runtime_python import lambda_python  # noqa: E402
from components.event_logger import RUNTIME  # noqa: E402
from components.lambda_package import handler_zip  # noqa: E402
from handler.app import LOGGER_NAME, forget_seen_events, handler, safe_summary  # noqa: E402
from handler.log_format import LambdaJsonFormatter  # noqa: E402
from handler.origin import home_of  # noqa: E402

EVENTS = [json.loads(path.read_text()) for path in sorted((ROOT / "tests" / "events").glob("*.json"))]
RUNTIME_PRELOADS = "json, logging, re, datetime, decimal, traceback"

TASK_EVENTS = [event for event in EVENTS if event.get("detail-type") == "ECS Task State Change"]

BUDGET_BYTES_RATIO = 0.30
BUDGET_CPU_RATIO = 3.0
BUDGET_IMPORT_MS = 10.0
BUDGET_COST_USD = 0.65
# handler/notify.py, the on-call messages, is about 7.7 KB of the zip (imported only when a message goes out).
# Lambda takes 50 MB zipped: this budget keeps the code small, not legal.
BUDGET_ZIP_BYTES = 32 * 1024
BUDGET_PROGRAM_RATIO = 5.0
BUDGET_REDACTION_RATIO = 3.0  # linear: about 1; quadratic: about 64
CLUSTER_COUNTS = (1, 30, 200)
REQUEST_ID = cost.REQUEST_ID  # a Lambda request id, as long as a real one


class Sink:
    """Counts what is written and keeps nothing, so neither side pays for storage."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)

    def flush(self) -> None:
        pass


@contextmanager
def logging_to(sink: Sink) -> Iterator[None]:
    """The handler's records go to ``sink`` at INFO, as Lambda renders them; the logger is restored after."""
    output = logging.StreamHandler(sink)
    output.setFormatter(LambdaJsonFormatter(request_id=REQUEST_ID))
    logger = logging.getLogger(LOGGER_NAME)
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logger.handlers[:] = [output]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved


def compact(event: Any) -> str:
    """The event as Go's json.Marshal writes it: no spaces."""
    return json.dumps(event, separators=(",", ":"))


def reference(event: Any, sink: Sink) -> None:
    sink.write(compact(event) + "\n")


class SamplesAccount:
    """Lambda's context for a function in the sample events' own account and region (one account, not
    organisation mode, where a record also names the member's account and region)."""

    aws_request_id = "8f5f1d2e-0c3b-4a5d-9e6f-7a8b9c0d1e2f"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:111122223333:function:ecs-task-events"


SAMPLES_CONTEXT = SamplesAccount()


def ours(event: Any, _sink: Sink) -> None:
    handler(event, SAMPLES_CONTEXT)


def cpu_seconds(work: Callable[[Any, Sink], None], sink: Sink, repeat: int) -> float:
    start = time.process_time()
    for _ in range(repeat):
        forget_seen_events()  # each pass a new instance's first deliveries, not duplicates of the last pass
        for event in EVENTS:
            work(event, sink)
    return time.process_time() - start


def measure_cpu(rounds: int, repeat: int) -> tuple[float, float, float]:
    """Median per-event CPU microseconds for each side, and the median of per-round ratios."""
    sink = Sink()
    with logging_to(sink):
        cpu_seconds(ours, sink, 5)  # warm up both paths
        cpu_seconds(reference, sink, 5)
        ours_us: list[float] = []
        reference_us: list[float] = []
        ratios: list[float] = []
        per_event = 1e6 / (repeat * len(EVENTS))
        for index in range(rounds):
            pair = [(ours, ours_us), (reference, reference_us)]
            if index % 2:
                pair.reverse()
            timings = {}
            for work, samples in pair:
                seconds = cpu_seconds(work, sink, repeat)
                samples.append(seconds * per_event)
                timings[work] = seconds
            ratios.append(timings[ours] / timings[reference])
    return statistics.median(ours_us), statistics.median(reference_us), statistics.median(ratios)


# The fields every task record carries (whichever the event has): each fact once, so no taskArn
# (clusterArn + taskId) and no taskDefinitionArn (taskDefinition, 'family:revision'), unless those cannot be
# rebuilt; every event's record also carries the envelope's detailType, eventId and eventTime.
SPECIFIED_FIELDS = frozenset(
    {
        "detailType",
        "eventId",
        "eventTime",
        "clusterArn",
        "taskId",
        "group",
        "taskDefinition",
        "launchType",
        "lastStatus",
        "desiredStatus",
        "version",
        "stopCode",
        "stoppedReason",
        "containers",
    }
)


def measure_bytes_floor() -> int:
    """Total bytes of the smallest records the specification allows: its fields only, and an empty message.

    No handler that logs what the specification asks for can write less, so
    this shows how far below a bytes budget lies the room any design has.
    """
    formatter = LambdaJsonFormatter(request_id=REQUEST_ID)
    logger = logging.getLogger(LOGGER_NAME)
    total = 0
    for event in TASK_EVENTS:
        fields = {key: value for key, value in safe_summary(event).fields.items() if key in SPECIFIED_FIELDS}
        record = logger.makeRecord(LOGGER_NAME, logging.INFO, "", 0, "", (), None, extra=fields)
        total += len((formatter.format(record) + "\n").encode())
    return total


def reference_bytes_ingested(event: Any) -> int:
    """What the reference design's log group ingests for one event: the compact dump, a newline, the platform lines."""
    return len((compact(event) + "\n").encode()) + len(cost.PLATFORM_LINES.encode())


def measure_bytes() -> tuple[int, int]:
    """Total bytes ingested for the task samples: our records, and the reference's."""
    sink = Sink()
    forget_seen_events()
    with logging_to(sink):
        for event in TASK_EVENTS:
            handler(event, SAMPLES_CONTEXT)
    return sink.bytes, sum(reference_bytes_ingested(event) for event in TASK_EVENTS)


def field_bytes() -> list[tuple[str, int, int]]:
    """Per field of our task records: (field, records that have it, bytes it adds per task event on average).

    A field's bytes are the record's rendered length with it minus without it,
    so the key, the quotes and the separator count too; the rows add up to the
    bytes per task event.
    """
    formatter = LambdaJsonFormatter(request_id=REQUEST_ID)
    logger = logging.getLogger(LOGGER_NAME)
    empty_message = len('"message": "", ')

    def rendered(level: int, message: str, fields: dict[str, Any]) -> int:
        record = logger.makeRecord(LOGGER_NAME, level, "", 0, message, (), None, extra=fields)
        return len((formatter.format(record) + "\n").encode())

    totals: dict[str, list[int]] = {"(timestamp, level, logger, requestId, braces)": [], "message": []}
    for event in TASK_EVENTS:
        summary = safe_summary(event, home_of(SAMPLES_CONTEXT))
        whole = rendered(summary.level, summary.message, summary.fields)
        totals["(timestamp, level, logger, requestId, braces)"].append(rendered(summary.level, "", {}) - empty_message)
        totals["message"].append(whole - rendered(summary.level, "", summary.fields) + empty_message)
        for key in summary.fields:
            rest = {name: value for name, value in summary.fields.items() if name != key}
            totals.setdefault(key, []).append(whole - rendered(summary.level, summary.message, rest))
    rows = [(key, len(sizes), round(sum(sizes) / len(TASK_EVENTS))) for key, sizes in totals.items()]
    return sorted(rows, key=lambda row: -row[2])


class ImportTimer:
    """Times importing the handler in fresh interpreters, as a Lambda cold start does it.

    The package is extracted from the deployment zip and imported with -B: the
    zip holds no bytecode and /var/task is read-only, so Lambda compiles the
    sources at every cold start, and so does this measurement. The interpreter
    has imported what the Lambda Python runtime loads before timing starts.
    On these shared machines a run is either undisturbed or slowed by a
    neighbour, in spells of seconds; samples are taken in batches at several
    points of the benchmark, the interpreters taking turns, and the budget is
    checked on the fastest, which is the cost of the import itself.
    """

    SCRIPT = (
        f"import time, {RUNTIME_PRELOADS}\n"
        "start = time.perf_counter()\n"
        "import handler.app\n"
        "print((time.perf_counter() - start) * 1000)\n"
    )

    def __init__(self, directory: str, interpreters: list[str]) -> None:
        with zipfile.ZipFile(BytesIO(handler_zip())) as archive:
            archive.extractall(directory)
        self.directory = directory
        self.samples: dict[str, list[float]] = {interpreter: [] for interpreter in interpreters}

    def sample(self, runs: int) -> None:
        for _ in range(runs):
            for interpreter, samples in self.samples.items():
                command = [interpreter, "-B", "-c", self.SCRIPT]
                result = subprocess.run(command, cwd=self.directory, capture_output=True, text=True, check=True)
                samples.append(float(result.stdout))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds for the CPU ratio")
    parser.add_argument("--repeat", type=int, default=40, help="passes over the sample events per round")
    parser.add_argument("--import-runs", type=int, default=15, help="fresh interpreters for the import time")
    parser.add_argument("--program-rounds", type=int, default=7, help="rounds of program evaluations")
    parser.add_argument(
        "--redaction-rounds", type=int, default=7, help="rounds of the log-line redaction, short and long line"
    )
    parser.add_argument("--fields", action="store_true", help="print what each record field costs in bytes")
    parser.add_argument(
        "--suite-runs", type=int, default=3, help="runs of bash scripts/test.sh on each side (0: not timed)"
    )
    parser.add_argument(
        "--suite-baseline",
        default=suite.BASELINE_REV,
        help="the commit whose test command this tree's is timed against, side by side ('': this tree alone)",
    )
    parser.add_argument(
        "--fresh-suite-seconds", type=float, help="what the test command took on a fresh clone, installs included"
    )
    options = parser.parse_args(argv)

    batch = max(1, options.import_runs // 3)
    runtime_python = lambda_python()
    with tempfile.TemporaryDirectory() as directory:
        imports = ImportTimer(directory, [sys.executable] + ([runtime_python] if runtime_python else []))
        imports.sample(batch)
        ours_us, reference_us, cpu_ratio = measure_cpu(options.rounds, options.repeat)
        imports.sample(batch)
        program = program_bench.measure(CLUSTER_COUNTS, options.program_rounds)
        redaction_ratios = redaction.measure(options.redaction_rounds)
        imports.sample(max(1, options.import_runs - 2 * batch))
    import_samples = imports.samples[sys.executable]
    handler_import_ms, import_median_ms = min(import_samples), statistics.median(import_samples)
    import_runs = len(import_samples)
    our_bytes, reference_bytes = measure_bytes()
    bytes_ratio = our_bytes / reference_bytes
    floor_ratio = measure_bytes_floor() / reference_bytes
    program_ratio = program[CLUSTER_COUNTS[-1]][0] / program[CLUSTER_COUNTS[0]][0]
    count = len(TASK_EVENTS)
    ours_cost = cost.per_million_events(ours_us, our_bytes / count)
    reference_cost = cost.per_million_events(reference_us, reference_bytes / count)
    member_records = cost.per_million_events(ours_us, our_bytes / count + len(ORIGIN_FIELDS.encode()))
    organization_cost = cost.organization_per_million_events(member_records, forwarded_event_bytes())
    load_before_suite = os.getloadavg()[0]  # the machine's own load, not the suite's
    suite_seconds, suite_samples, against = time_suite(options.suite_runs, options.suite_baseline)
    package = handler_zip()
    with zipfile.ZipFile(BytesIO(package)) as archive:
        files = archive.namelist()

    rows = [
        ("sample events", f"{len(EVENTS)}", f"{count} task events: the bytes and cost rows are over these"),
        ("CPU per event, handler (us)", f"{ours_us:.1f}", f"reference {reference_us:.1f}"),
        ("CPU ratio handler / reference (median)", f"{cpu_ratio:.2f}", f"budget <= {BUDGET_CPU_RATIO}"),
        (
            "bytes ingested per task event, record",
            f"{our_bytes / count:.0f}",
            f"reference {reference_bytes / count:.0f} (compact event, newline, START/END/REPORT "
            f"{len(cost.PLATFORM_LINES.encode())})",
        ),
        ("bytes ratio record / reference", f"{bytes_ratio:.3f}", f"budget <= {BUDGET_BYTES_RATIO}"),
        ("bytes ratio floor / reference", f"{floor_ratio:.3f}", "the fields every task record keeps, empty message"),
        (
            "handler import from the zip, compiling (ms)",
            f"{handler_import_ms:.2f}",
            f"Python {platform.python_version()}, fastest of {import_runs} in 3 batches, "
            f"median {import_median_ms:.2f}; budget < {BUDGET_IMPORT_MS}",
        ),
        *(
            (
                f"  the same on the function's {RUNTIME}",
                f"{min(samples):.2f}",
                f"{interpreter}, median {statistics.median(samples):.2f}; shown, not gated: not every machine has it",
            )
            for interpreter, samples in imports.samples.items()
            if interpreter != sys.executable
        ),
        ("deployment zip (bytes)", f"{len(package)}", f"budget < {BUDGET_ZIP_BYTES}"),
        *(
            (
                f"program evaluation, {clusters} clusters (ms)",
                f"{seconds * 1000:.0f}",
                f"{resources} resources; x{seconds / program[CLUSTER_COUNTS[0]][0]:.2f} of 1 cluster",
            )
            for clusters, (seconds, resources) in program.items()
        ),
        *(
            (
                f"log line redaction, {shape} (ratio)",
                f"{ratio:.2f}",
                f"time per character, {redaction.LONG // 1024} KB line / {redaction.SHORT // 1024} KB; "
                f"budget <= {BUDGET_REDACTION_RATIO}",
            )
            for shape, ratio in redaction_ratios.items()
        ),
        *suite_rows(suite_seconds, suite_samples, against, load_before_suite),
        *(
            (
                (
                    "test command on a fresh clone, installs included (s)",
                    f"{options.fresh_suite_seconds:.1f}",
                    f"as .ci/run timed it; shown, not gated (the whole .ci/run has 180 s), "
                    f"load now {os.getloadavg()[0]:.1f}",
                ),
            )
            if options.fresh_suite_seconds is not None
            else ()
        ),
        ("cost per million task events, this project (USD)", f"{ours_cost.total_usd:.3f}", _cost_note(ours_cost)),
        (
            "  the same in organisation mode (USD)",
            f"{organization_cost.total_usd:.3f}",
            f"records +{len(ORIGIN_FIELDS.encode())} bytes (account, region): Lambda "
            f"{member_records.lambda_usd:.3f} + logs {member_records.logs_usd:.3f} + forwarding to the central "
            f"bus {organization_cost.forwarding_usd:.3f} ({organization_cost.chunks_per_event:g} billed event per "
            "task event; data transfer between regions not counted)",
        ),
        (
            "cost per million task events, reference (USD)",
            f"{reference_cost.total_usd:.3f}",
            _cost_note(reference_cost),
        ),
    ]
    width = max(len(row[0]) for row in rows)
    print(f"{'measure':<{width}}  {'value':>10}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")
    print("zip files: " + ", ".join(files))
    print(
        f"prices ({cost.PRICES_DATE}, us-east-1): Lambda ${cost.LAMBDA_REQUEST_USD * 1e6:.2f} per million requests, "
        f"${cost.LAMBDA_ARM64_GB_SECOND_USD:.10f} per GB-second (arm64, 128 MB, 1 ms billing); "
        f"CloudWatch Logs ${cost.LOGS_INGESTION_USD_PER_GB:.2f} per GB ingested; "
        f"EventBridge ({cost.EVENTBRIDGE_PRICES_DATE}) ${cost.EVENTBRIDGE_CUSTOM_EVENT_USD * 1e6:.2f} per million "
        f"events sent to another bus, per {cost.EVENTBRIDGE_CHUNK_BYTES // 1024} KB chunk"
    )

    budgets = [
        ("bytes ingested per task event <= 30% of the reference's", bytes_ratio <= BUDGET_BYTES_RATIO),
        ("CPU per event <= 3x the reference", cpu_ratio <= BUDGET_CPU_RATIO),
        ("handler import < 10 ms", handler_import_ms < BUDGET_IMPORT_MS),
        ("cost per million task events <= $0.65", ours_cost.total_usd <= BUDGET_COST_USD),
        (f"zip < {BUDGET_ZIP_BYTES // 1024} KiB", len(package) < BUDGET_ZIP_BYTES),
        ("program for 200 clusters < 5x that for 1", program_ratio < BUDGET_PROGRAM_RATIO),
        (
            f"log line redaction linear in the line's length (<= {BUDGET_REDACTION_RATIO}x per character)",
            max(redaction_ratios.values()) <= BUDGET_REDACTION_RATIO,
        ),
    ]
    budgets += suite_budgets(suite_seconds, against)
    if options.fields or bytes_ratio > BUDGET_BYTES_RATIO:
        print("bytes per task event by field (rendered record with the field minus without it):")
        for key, records, size in field_bytes():
            print(f"  {key:<48} {size:>5}  in {records} of {count} records")
    for name, passed in budgets:
        print(f"{'PASS' if passed else 'FAIL'}  {name}")
    return 0 if all(passed for _, passed in budgets) else 1


# What a member's record adds, at most: its account and a region other than the logger's (handler/origin.py).
ORIGIN_FIELDS = ', "account": "444455556666", "region": "ap-southeast-2"'


def forwarded_event_bytes() -> list[int]:
    """The size of each sample task event as a member forwards it: the whole event, as EventBridge sends it."""
    return [len(json.dumps(event, separators=(",", ":")).encode()) for event in TASK_EVENTS]


def time_suite(runs: int, baseline: str) -> tuple[float | None, list[float], tuple[suite.SideBySide, str] | None]:
    """This tree's median and samples (None: not timed), and the side-by-side figures when there is a baseline."""
    if runs <= 0:
        return None, [], None
    if not baseline:
        median, samples = suite.measure(runs)
        return median, samples, None
    against = suite.measure_against_baseline(runs, baseline)
    return against[0].current_median, list(against[0].current), against


def suite_budgets(seconds: float | None, against: tuple[suite.SideBySide, str] | None) -> list[tuple[str, bool]]:
    """The test command's budget: the ratio to the baseline where there is one, else 45 s."""
    if against is not None:
        name = f"bash scripts/test.sh <= {suite.BUDGET_SECONDS:.0f}/{suite.BASELINE_SECONDS:.0f} of the baseline's"
        return [(f"{name}, side by side", against[0].within_budget())]
    if seconds is not None:
        return [(f"bash scripts/test.sh <= {suite.BUDGET_SECONDS:.0f} s", seconds <= suite.BUDGET_SECONDS)]
    return []


def _seconds(samples: Sequence[float]) -> str:
    return ", ".join(f"{seconds:.1f}" for seconds in samples)


def suite_rows(
    seconds: float | None,
    samples: Sequence[float],
    against: tuple[suite.SideBySide, str] | None,
    load_before: float,
) -> list[tuple[str, str, str]]:
    """The test command's rows: this tree's median, and with a baseline the baseline's median and the ratio.

    The ratio is the figure the budget holds, since absolute seconds differ from machine to machine; the
    seconds stand beside it so a reader can see both.
    """
    if seconds is None:
        return []
    machine = f"{os.cpu_count()} cores, load before {load_before:.1f}"
    if against is None:
        return [
            (
                "test command, bash scripts/test.sh (s)",
                f"{seconds:.1f}",
                f"median of {len(samples)} in a row ({_seconds(samples)}), {machine}; "
                f"budget <= {suite.BUDGET_SECONDS:.0f}",
            )
        ]
    times, commit = against
    return [
        (
            "test command, bash scripts/test.sh (s)",
            f"{times.current_median:.1f}",
            f"median of {len(times.current)} ({_seconds(times.current)}), taking turns with the baseline; {machine}",
        ),
        (
            f"  the same at the baseline {commit[:9]} (s)",
            f"{times.baseline_median:.1f}",
            f"median of {len(times.baseline)} ({_seconds(times.baseline)}), its own test.sh and .venv",
        ),
        (
            "  this tree / the baseline",
            f"{times.ratio:.2f}",
            f"budget <= {suite.BUDGET_RATIO:.2f} ({suite.BUDGET_SECONDS:.0f} s where the baseline took "
            f"{suite.BASELINE_SECONDS:.0f} s); here {suite.BUDGET_RATIO * times.baseline_median:.1f} s of "
            f"{times.baseline_median:.1f} s",
        ),
    ]


def _cost_note(figures: cost.Cost) -> str:
    return (
        f"{figures.log_bytes:.0f} log bytes/event, {figures.billed_ms} ms billed: "
        f"Lambda {figures.lambda_usd:.3f} + logs {figures.logs_usd:.3f}"
    )


if __name__ == "__main__":
    sys.exit(main())
