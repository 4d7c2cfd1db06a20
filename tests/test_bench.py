"""The benchmark's byte accounting and what it runs (its timings are measured by bench/run.py, never asserted here)."""

from __future__ import annotations

import json
import logging
import re
import subprocess
from pathlib import Path

import pytest
from handler_capture import CentralContext, invoke, load_event
from pytest import MonkeyPatch

from bench import cost, program_bench, run, suite
from bench.runtime_python import lambda_python


def test_the_floor_keeps_every_specified_field_of_a_full_task_record() -> None:
    # A misspelt name would silently drop a field and lower the floor.
    record = invoke(load_event("task_stopped_oom")).record
    assert record.keys() >= run.SPECIFIED_FIELDS


def test_the_floor_is_below_the_records_and_above_the_bare_envelope() -> None:
    our_bytes, reference_bytes = run.measure_bytes()
    floor = run.measure_bytes_floor()
    assert floor < our_bytes < reference_bytes
    envelope = {
        "timestamp": "2026-11-28T00:00:00.000Z",
        "level": "INFO",
        "message": "",
        "logger": run.LOGGER_NAME,
        "requestId": run.REQUEST_ID,
    }
    assert floor > len(run.TASK_EVENTS) * (len(json.dumps(envelope)) + 1)


def test_reference_bytes_are_the_compact_events_and_lambdas_three_platform_lines() -> None:
    """The reference ingests, per event, its compact dump and newline, and the START, END and REPORT lines.

    Line formats: "Using CloudWatch Logs with Lambda" (docs.aws.amazon.com/lambda/latest/dg/
    monitoring-cloudwatchlogs.html) and "How CloudWatch structures logs" in the Lambda operator guide
    (docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html): every invocation writes START, END and
    REPORT, REPORT with tab-separated Duration, Billed Duration, Memory Size and Max Memory Used.
    """
    _, reference_bytes = run.measure_bytes()
    lines = cost.PLATFORM_LINES.split("\n")
    assert lines[-1] == ""
    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert re.fullmatch(rf"START RequestId: {uuid} Version: \$LATEST", lines[0])
    assert re.fullmatch(rf"END RequestId: {uuid}", lines[1])
    assert re.fullmatch(
        rf"REPORT RequestId: {uuid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t"
        r"Max Memory Used: \d+ MB\t",
        lines[2],
    )
    per_event = [
        len(json.dumps(e, separators=(",", ":")).encode()) + 1 + len(cost.PLATFORM_LINES) for e in run.TASK_EVENTS
    ]
    assert reference_bytes == sum(per_event)
    assert {event["detail-type"] for event in run.TASK_EVENTS} == {"ECS Task State Change"}
    # The container instance, the service action and the deployment samples are not task events.
    assert len(run.TASK_EVENTS) == len(run.EVENTS) - len(
        [name for name in run.EVENTS if name["detail-type"] != "ECS Task State Change"]
    )
    assert len(run.EVENTS) - len(run.TASK_EVENTS) == 6


def test_the_field_table_adds_up_to_the_bytes_per_task_event() -> None:
    our_bytes, _ = run.measure_bytes()
    rows = run.field_bytes()
    assert {key for key, _, _ in rows} >= run.SPECIFIED_FIELDS | {"message"}
    assert "taskArn" not in {key for key, _, _ in rows}
    assert all(records <= len(run.TASK_EVENTS) for _, records, _ in rows)
    assert abs(sum(size for _, _, size in rows) - our_bytes / len(run.TASK_EVENTS)) <= len(rows) / 2


def test_the_cost_counts_the_log_bytes_it_is_given_and_the_billed_milliseconds() -> None:
    """Prices: "AWS Lambda pricing" (aws.amazon.com/lambda/pricing) and "Amazon CloudWatch pricing"
    (aws.amazon.com/cloudwatch/pricing), us-east-1, on the date in bench/cost.py."""
    figures = cost.per_million_events(cpu_us_here=50.0, log_bytes=1000.0)
    assert figures.billed_ms == 1  # 50 us of CPU at a 128 MB share of a vCPU is under a millisecond
    assert figures.logs_usd == pytest.approx(0.50 * 1000 * 1e6 / 1e9)
    assert figures.lambda_usd == pytest.approx(0.20 + 1e6 * 0.125 * 0.001 * cost.LAMBDA_ARM64_GB_SECOND_USD)


def test_organisation_mode_adds_one_custom_event_per_64_kb_chunk_of_each_forwarded_event() -> None:
    """EventBridge User Guide, "Sending and receiving events between AWS accounts in Amazon EventBridge": events
    sent to another account's bus are charged to the sender as custom events; "Amazon EventBridge pricing"
    (aws.amazon.com/eventbridge/pricing/): custom events per million, each 64 KB chunk of a payload one event."""
    logger = cost.per_million_events(cpu_us_here=50.0, log_bytes=1000.0)
    small = cost.organization_per_million_events(logger, [2_000, 3_000])
    assert small.chunks_per_event == 1
    assert small.forwarding_usd == pytest.approx(1e6 * cost.EVENTBRIDGE_CUSTOM_EVENT_USD)
    assert small.total_usd == pytest.approx(logger.total_usd + small.forwarding_usd)
    # A 100 KB event is two chunks, a 64 KB one exactly one: on average 1.5 billed events per task event.
    mixed = cost.organization_per_million_events(logger, [100 * 1024, 64 * 1024])
    assert mixed.chunks_per_event == 1.5
    assert mixed.forwarding_usd == pytest.approx(1.5 * small.forwarding_usd)
    with pytest.raises(ValueError, match="no events"):
        cost.organization_per_million_events(logger, [])


def test_the_forwarded_bytes_are_the_sample_task_events_as_sent() -> None:
    sizes = run.forwarded_event_bytes()
    assert len(sizes) == len(run.TASK_EVENTS)
    assert all(1_000 < size < cost.EVENTBRIDGE_CHUNK_BYTES for size in sizes)  # ECS task events: a few KB each


def test_a_member_records_extra_bytes_are_what_the_handler_adds_for_another_account_and_region() -> None:
    """The organisation figure counts the account and region a member's record carries (handler/origin.py)."""
    event = load_event("task_stopped_oom")
    home = len(invoke(event).lines[-1].encode())
    elsewhere = json.loads(json.dumps(event).replace("eu-west-1", "ap-southeast-2"))
    elsewhere["account"] = "444455556666"
    member = len(invoke(elsewhere, context=CentralContext()).lines[-1].encode())
    # The region also sits in the record's cluster ARN: count only what the two new fields add.
    arn_growth = len("ap-southeast-2") - len("eu-west-1")
    assert member - home - arn_growth == len(run.ORIGIN_FIELDS.encode())


def test_measuring_leaves_the_handler_logger_as_it_was() -> None:
    logger = logging.getLogger(run.LOGGER_NAME)
    before = (logger.handlers[:], logger.level, logger.propagate)
    run.measure_bytes()
    assert (logger.handlers, logger.level, logger.propagate) == before


def _fake_python(folder: Path, answer: str, exit_code: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "python3.13"
    script.write_text(f"#!/bin/sh\necho '{answer}'\nexit {exit_code}\n")
    script.chmod(0o755)
    return script


def test_the_runtime_python_is_one_that_runs_and_says_it_is_313(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    shim = _fake_python(tmp_path / "shims", "pyenv: python3.13: command not found", exit_code=127)
    _fake_python(tmp_path / "pyenv" / "versions" / "3.12.1" / "bin", "3.12")
    real = _fake_python(tmp_path / "pyenv" / "versions" / "3.13.0" / "bin", "3.13")
    monkeypatch.setenv("PATH", str(shim.parent))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    assert lambda_python() == str(real)
    real.unlink()
    assert lambda_python() is None


def test_the_program_benchmark_evaluates_the_stack_with_a_cluster_list() -> None:
    """The cluster list goes in as the stack file holds it (a list), so the CLI's config rules let it through."""
    _, resources_for_one = program_bench.evaluate(1)
    _, resources_for_thirty = program_bench.evaluate(30)
    assert resources_for_one > 25
    assert resources_for_thirty > resources_for_one  # 30 clusters take more than one rule


def test_the_suite_timer_times_a_passing_command_and_refuses_a_failing_one(tmp_path: Path) -> None:
    median, samples = suite.measure(3, ["sh", "-c", "sleep 0.05"], tmp_path)
    assert len(samples) == 3 and all(0.05 <= seconds < 5 for seconds in samples)
    assert median in samples
    with pytest.raises(RuntimeError, match=r"exited 3:\nbroken"):
        suite.time_command(["sh", "-c", "echo broken; exit 3"], tmp_path)


def test_the_two_trees_take_turns_baseline_first_as_many_runs_each() -> None:
    assert suite.turns(3) == ["baseline", "current"] * 3
    assert suite.turns(1) == ["baseline", "current"]
    assert suite.turns(0) == []


def test_side_by_side_times_each_tree_in_turn_and_keeps_each_sides_seconds(tmp_path: Path) -> None:
    """A fake timer: each call is recorded with the tree it was given and answers that tree's next figure."""
    baseline, current = tmp_path / "baseline", tmp_path / "current"
    answers = {baseline: iter([100.0, 130.0, 110.0]), current: iter([40.0, 50.0, 44.0])}
    calls: list[Path] = []

    def timer(tree: Path) -> float:
        calls.append(tree)
        return next(answers[tree])

    times = suite.side_by_side(3, baseline, current, timer)
    assert calls == [baseline, current] * 3
    assert times.baseline == (100.0, 130.0, 110.0) and times.current == (40.0, 50.0, 44.0)
    assert (times.baseline_median, times.current_median) == (110.0, 44.0)
    assert times.ratio == pytest.approx(0.4)
    with pytest.raises(ValueError, match="at least one run"):
        suite.side_by_side(0, baseline, current, timer)


def test_the_suite_budget_is_45_of_110_of_the_baselines_median() -> None:
    assert pytest.approx(45 / 110) == suite.BUDGET_RATIO
    assert suite.SideBySide(baseline=(110.0,), current=(45.0,)).within_budget()
    assert not suite.SideBySide(baseline=(110.0,), current=(45.5,)).within_budget()
    # Half as fast a machine: both sides double, the verdict does not change.
    assert suite.SideBySide(baseline=(220.0, 200.0, 240.0), current=(90.0, 80.0, 100.0)).within_budget()
    assert not suite.SideBySide(baseline=(220.0,), current=(95.0,)).within_budget()


def test_the_suite_rows_show_both_medians_the_ratio_and_the_budget_beside_the_seconds() -> None:
    times = suite.SideBySide(baseline=(200.0, 190.0, 210.0), current=(80.0, 90.0, 70.0))
    rows = run.suite_rows(times.current_median, list(times.current), (times, "ba3bf790c920f613"), 0.5)
    values = {name.strip(): (value, note) for name, value, note in rows}
    assert values["test command, bash scripts/test.sh (s)"][0] == "80.0"
    assert values["the same at the baseline ba3bf790c (s)"][0] == "200.0"
    ratio, note = values["this tree / the baseline"]
    assert ratio == "0.40" and "budget <= 0.41" in note and "81.8 s of 200.0 s" in note
    alone = run.suite_rows(50.0, [50.0, 49.0, 51.0], None, 0.5)
    assert [(name, value) for name, value, _ in alone] == [("test command, bash scripts/test.sh (s)", "50.0")]
    assert run.suite_rows(None, [], None, 0.5) == []


def test_the_baseline_worktree_is_made_once_at_its_commit_and_reused(tmp_path: Path) -> None:
    """A throwaway repository with two commits stands in for the project's."""
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*arguments: str, cwd: Path = repo) -> str:
        return subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()

    git("init", "-q")
    for text in ("first", "second"):
        (repo / "file.txt").write_text(text)
        git("add", "file.txt")
        git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", text)
    first = git("rev-parse", "HEAD^")
    cache = tmp_path / "cache"
    tree, commit, made = suite.baseline_tree("HEAD^", cache, root=repo)
    assert (commit, made) == (first, True)
    assert tree.parent == cache and (tree / "file.txt").read_text() == "first"
    assert git("rev-parse", "HEAD", cwd=tree) == first
    again = suite.baseline_tree("HEAD^", cache, root=repo)
    assert again == (tree, first, False)


def test_the_suite_budget_line_is_the_ratio_with_a_baseline_and_45_s_without() -> None:
    fast, slow = suite.SideBySide((100.0,), (40.0,)), suite.SideBySide((100.0,), (42.0,))
    assert run.suite_budgets(40.0, (fast, "c0ffee")) == [
        ("bash scripts/test.sh <= 45/110 of the baseline's, side by side", True)
    ]
    assert run.suite_budgets(42.0, (slow, "c0ffee"))[0][1] is False
    assert run.suite_budgets(44.0, None) == [("bash scripts/test.sh <= 45 s", True)]
    assert run.suite_budgets(46.0, None)[0][1] is False
    assert run.suite_budgets(None, None) == []
