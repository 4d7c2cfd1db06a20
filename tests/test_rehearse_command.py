"""`python3 -m rehearse`: the whole logger on the embedded emulator, as a newcomer runs it."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rehearse.__main__ import main
from rehearse.mocks import ROOT
from rehearse.play import explain_miss, with_overrides
from rehearse.sequence import default_sequence, sample


def rehearse(*argv: str) -> dict[str, Any]:
    out = io.StringIO()
    assert main([*argv, "--json"], out=out) == 0
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


def records(report: dict[str, Any], label_prefix: str = "") -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for delivery in report["deliveries"]
        if delivery["label"].startswith(label_prefix)
        for line in delivery["lines"]
    ]


@pytest.fixture(scope="module")
def default_run() -> dict[str, Any]:
    return rehearse()


def test_the_default_sequence_catches_this_clusters_task_events_only(default_run: dict[str, Any]) -> None:
    outcome = {d["label"]: (d["caught_by"], d["why_not"]) for d in default_run["deliveries"]}
    assert [label for label, _ in default_sequence()] == list(outcome)
    caught, why = outcome["another cluster's task"]
    assert caught == [] and why.startswith("other cluster arn:aws:ecs:eu-west-1:111122223333:cluster/other")
    for label in ("healthy task: RUNNING", "OOM task: STOPPED (out of memory)", "a task cannot pull its image"):
        assert outcome[label][0] == default_run["rules"], label
    # serviceEvents (on by default): deployments are caught by their service ARN.
    assert outcome["the deployment fails"][0] == default_run["rules"]


def test_the_oom_task_is_one_error_one_abnormal_stop_and_the_alarm_fires(default_run: dict[str, Any]) -> None:
    oom = records(default_run, "OOM task")
    assert [r["level"] for r in oom] == ["INFO", "INFO", "INFO", "ERROR"]
    assert oom[-1]["message"] == "task 5e1c2a9b STOPPED EssentialContainerExited: app exited 137 OutOfMemoryError"
    assert [r["level"] for r in records(default_run, "healthy task")] == ["INFO", "INFO", "INFO"]
    own = [
        p for p in default_run["datapoints"] if p["metric"] == "AbnormalTaskStops" and p["namespace"] != "EcsTaskEvents"
    ]
    assert len(own) == 2  # the OOM task and the task that could not pull its image: one each
    alarms = {
        alarm["name"].rsplit("-", 2)[0].removeprefix("ecs-task-events-"): alarm for alarm in default_run["alarms"]
    }
    # Two stops in the run, in one 60 s period or split over two when the run crosses a minute: ALARM either way.
    assert alarms["abnormal-stops"]["state"] == "ALARM" and sum(alarms["abnormal-stops"]["values"]) == 2.0
    assert {name: alarm["state"] for name, alarm in alarms.items() if name != "abnormal-stops"} == {
        "undelivered": "OK",
        "failed": "OK",
        "function-errors": "OK",
        "function-throttles": "OK",
    }


def test_the_records_are_in_the_emulated_log_group(default_run: dict[str, Any]) -> None:
    written = [line for delivery in default_run["deliveries"] for line in delivery["lines"]]
    stored = default_run["log_events"]
    assert len(stored) == len(written) == 10
    for tail, line in zip(stored, written, strict=True):
        stamp, stream, message = tail.split(" ", 2)
        assert message == line and "[$LATEST]" in stream
        assert stamp.startswith(json.loads(line)["timestamp"][:-1])


def test_a_chosen_sequence_from_files(tmp_path: Path) -> None:
    life = [sample(name) for name in ("task_provisioning", "task_running", "task_stopped_oom")]
    (tmp_path / "life.json").write_text(json.dumps(life))
    (tmp_path / "other.json").write_text(json.dumps(sample("service_action")))
    report = rehearse(str(tmp_path / "life.json"), str(tmp_path / "other.json"))
    assert [d["label"] for d in report["deliveries"]] == [
        *(f"{tmp_path / 'life.json'}[{i}]" for i in range(3)),
        str(tmp_path / "other.json"),
    ]
    assert [r["level"] for r in records(report, str(tmp_path / "life.json"))] == ["INFO", "INFO", "ERROR"]
    own = [p for p in report["datapoints"] if p["metric"] == "AbnormalTaskStops" and p["namespace"] != "EcsTaskEvents"]
    assert [p["value"] for p in own] == [1.0]
    assert {a["state"] for a in report["alarms"] if "abnormal-stops" in a["name"]} == {"ALARM"}
    # From the function through the topic in moto: one message for the one dead task, one for the service action.
    assert [n["subject"] for n in report["notifications"]] == [
        "orders-api: task 5e1c2a9b OOM-killed (exit 137)",
        "orders-api: cannot start tasks",
    ]
    assert "Container app:                  exit 137, OutOfMemoryError" in report["notifications"][0]["message"]


def test_config_overrides_reach_the_deployed_function() -> None:
    quiet = rehearse("--config", "logLevel=WARN")
    assert {r["level"] for r in records(quiet)} == {"ERROR"}  # Lambda drops what is below the function's level
    assert with_overrides({"ecs-task-events:clusterArn": "a"}, ["clusterArns=[]"]) == {
        "ecs-task-events:clusterArns": []
    }
    assert with_overrides({}, ['clusterArns=["a"]', "logLevel=[INFO"]) == {
        "ecs-task-events:clusterArns": ["a"],  # held as a list, as `pulumi config set --path` builds it
        "ecs-task-events:logLevel": "[INFO",
    }


def test_what_the_pulumi_cli_refuses_is_refused_with_its_words(capsys: pytest.CaptureFixture[str]) -> None:
    """The rehearsal runs the CLI's config checks (rehearse/pulumi_cli.py) on the stack file it deploys."""
    assert main(["--config", "logRetentionDays=a month"], out=io.StringIO()) == 2
    error = capsys.readouterr().err
    assert error == (
        "python3 -m rehearse: `pulumi up` would stop here, before the program runs: error: validating stack config: "
        "Stack 'dev' with configuration key 'logRetentionDays' must be of type 'integer'\n"
    )


def test_bad_config_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", "logRetentionDays=8"], out=io.StringIO()) == 2
    error = capsys.readouterr().err
    assert "ecs-task-events:logRetentionDays = '8'" in error and "Fix: pulumi config set logRetentionDays 7" in error
    assert main(["--config", "nonsense"], out=io.StringIO()) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err


def test_a_miss_is_explained_by_what_differs() -> None:
    pattern = {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"], "detail": {"clusterArn": ["x"]}}
    assert explain_miss({"source": "aws.ec2"}, [pattern]) == "other source 'aws.ec2'"
    assert explain_miss({"source": "aws.ecs", "detail-type": "ECS Service Action"}, [pattern]).startswith(
        "other detail-type 'ECS Service Action'"
    )


def test_the_readme_opens_with_the_two_commands_a_newcomer_needs() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in first_block.splitlines()] == [
        "bash scripts/rehearse.sh",
        "bash scripts/test.sh",
    ]
    assert readme.index("## Try it first") < readme.index("## Deploy")


def test_the_command_runs_from_a_shell_and_says_who_played_aws() -> None:
    """As the README has a newcomer run it: the script (which sets up .venv), a fresh interpreter, plain text."""
    result = subprocess.run(
        ["bash", "scripts/rehearse.sh"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=600
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for heading in (
        "== Events",
        "== Records in the log group",
        "== Metric datapoints",
        "== Alarms",
        "== Notifications",
    ):
        assert heading in text
    assert "another cluster's task: ECS Task State Change" in text and "not caught: other cluster" in text
    assert "ALARM ecs-task-events-abnormal-stops-alarm" in text
    assert "Subject: orders-api: task 5e1c2a9b OOM-killed (exit 137)" in text
    assert "Subject: orders-api: deployment failed" in text
    assert "moto runs no metric filters" in text and "moto evaluates no alarms" in text
