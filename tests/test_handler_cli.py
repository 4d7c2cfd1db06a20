"""`python -m handler`: what a user runs to preview the records before deploying."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from handler_capture import EVENTS_DIR

from bench.runtime_python import lambda_python
from handler.__main__ import main
from rehearse.mocks import ROOT


def run_cli(*args: str, stdin: str = "") -> tuple[int, list[dict]]:
    output = io.StringIO()
    code = main(list(args), stdin=io.StringIO(stdin), stdout=output)
    return code, [json.loads(line) for line in output.getvalue().split("\n") if line]


def test_prints_one_lambda_shaped_record_per_event_file() -> None:
    code, records = run_cli(str(EVENTS_DIR / "task_stopped_oom.json"), str(EVENTS_DIR / "task_running.json"))
    assert code == 0
    assert [r["level"] for r in records] == ["ERROR", "INFO"]
    assert list(records[0])[:5] == ["timestamp", "level", "message", "logger", "requestId"]
    assert records[0]["requestId"] == "local"
    assert records[0]["taskId"] == "5e1c2a9b0d3f4e6a8b7c9d0e1f2a3b4c"


def test_reads_an_array_of_events_from_stdin() -> None:
    events = [json.loads((EVENTS_DIR / name).read_text()) for name in ("task_pending.json", "service_action.json")]
    code, records = run_cli("-", stdin=json.dumps(events))
    assert code == 0
    assert [r["detailType"] for r in records] == ["ECS Task State Change", "ECS Service Action"]


def test_debug_level_adds_the_redacted_event() -> None:
    code, records = run_cli("--level", "DEBUG", str(EVENTS_DIR / "task_overrides_with_secrets.json"))
    assert code == 0
    assert [r["level"] for r in records] == ["INFO", "DEBUG"]
    assert "hunter2" not in json.dumps(records)


LEVEL_SAMPLES = ("task_stopped_oom.json", "task_stopped_spot.json", "task_overrides_with_secrets.json")


@pytest.mark.parametrize(
    ("level", "shown"),
    [
        ("TRACE", ["ERROR", "DEBUG", "WARNING", "DEBUG", "INFO", "DEBUG"]),  # the logLevel config's names, any case
        ("trace", ["ERROR", "DEBUG", "WARNING", "DEBUG", "INFO", "DEBUG"]),
        ("debug", ["ERROR", "DEBUG", "WARNING", "DEBUG", "INFO", "DEBUG"]),
        ("Info", ["ERROR", "WARNING", "INFO"]),
        ("WARN", ["ERROR", "WARNING"]),
        ("warn", ["ERROR", "WARNING"]),
        ("error", ["ERROR"]),
        ("FATAL", []),
        ("fatal", []),
        ("WARNING", ["ERROR", "WARNING"]),  # and Python's
        ("critical", []),
    ],
)
def test_level_takes_the_deploy_configs_names_and_pythons(level: str, shown: list[str]) -> None:
    code, records = run_cli("--level", level, *(str(EVENTS_DIR / name) for name in LEVEL_SAMPLES))
    assert code == 0
    assert [r["level"] for r in records] == shown


def test_an_unknown_level_is_a_usage_error_listing_the_names(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_cli("--level", "verbose", str(EVENTS_DIR / "task_running.json"))
    assert exit_.value.code == 2
    assert "'verbose' is not a log level; use TRACE, DEBUG, INFO, WARN, ERROR or FATAL" in capsys.readouterr().err


def test_bad_files_exit_2_with_the_file_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert run_cli(str(broken))[0] == 2
    assert str(broken) in capsys.readouterr().err
    assert run_cli(str(tmp_path / "missing.json"))[0] == 2


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_an_empty_array_says_there_was_nothing_to_summarise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "none.json"
    empty.write_text("[]\n")
    code, records = run_cli(str(empty), str(EVENTS_DIR / "task_running.json"))
    assert code == 0
    assert [r["level"] for r in records] == ["INFO"]  # the files after it are still read
    assert one_line(capsys.readouterr().err) == (
        f"python -m handler: {empty}: an empty JSON array: no events, nothing to summarise\n"
    )


@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_an_empty_file_says_it_is_empty(content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text(content)
    assert run_cli(str(empty))[0] == 2
    assert f"python -m handler: {empty}: the file is empty;" in one_line(capsys.readouterr().err)
    assert run_cli("-", stdin=content)[0] == 2
    assert "python -m handler: standard input: nothing was given;" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("opening", ["[", '{"detail": '])
def test_a_file_nested_too_deep_for_the_parser_is_one_line(
    opening: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closing = "]" if opening == "[" else "}"
    deep = tmp_path / "deep.json"
    deep.write_text(opening * 100_000 + "1" + closing * 100_000)
    assert run_cli(str(deep))[0] == 2
    assert f"python -m handler: {deep}: nested too deeply for Python's json parser" in one_line(capsys.readouterr().err)


def test_runs_as_a_module_from_the_repository_root() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "handler", str(EVENTS_DIR / "task_stopped_spot.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["level"] == "WARNING"
    assert record["stopCode"] == "SpotInterruption"


def test_handler_imports_only_the_standard_library() -> None:
    """No boto3 or other third-party import: they cost cold-start time and package size."""
    script = (
        "import sys, handler.app\n"
        "names = {m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names) - {'handler'}\n"
        "print(sorted(n for n in names if not n.startswith('_')))"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _records_from(python: str) -> list[dict]:
    """Every sample's records at DEBUG, as ``python`` writes them, without the time they were written."""
    samples = sorted(str(path) for path in EVENTS_DIR.glob("*.json"))
    command = [python, "-B", "-m", "handler", "--level", "DEBUG", *samples]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    for record in records:
        del record["timestamp"]
    return records


def test_the_functions_runtime_python_writes_the_same_records() -> None:
    """The function runs on python3.13, the tests on the machine's Python: both must log alike."""
    runtime_python = lambda_python()
    if runtime_python is None:
        pytest.skip("no python3.13 on this machine (on PATH or among pyenv's versions)")
    expected = _records_from(sys.executable)
    assert len(expected) > len(list(EVENTS_DIR.glob("*.json")))  # INFO and DEBUG records for every sample
    assert _records_from(runtime_python) == expected
