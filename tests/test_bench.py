"""The benchmark's byte accounting and what it runs (its timings are measured by bench/run.py, never asserted here)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from handler_capture import invoke, load_event
from pytest import MonkeyPatch

from bench import run
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
    assert floor > len(run.EVENTS) * (len(json.dumps(envelope)) + 1)


def test_reference_bytes_are_the_whole_events_dumped_one_line_each() -> None:
    _, reference_bytes = run.measure_bytes()
    assert reference_bytes == sum(len(json.dumps(event).encode()) + 1 for event in run.EVENTS)


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
