"""`python3 -m rehearse`: the whole logger on the embedded emulator, as a newcomer runs it."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from rehearsal_reports import Written, written_both_ways
from user_docs import user_docs

from rehearse.__main__ import main
from rehearse.event_files import ENVELOPE, envelope_problem
from rehearse.mocks import ROOT
from rehearse.play import explain_miss, with_overrides
from rehearse.rehearsal_terms import in_rehearsal_terms, provider_keys
from rehearse.sequence import default_sequence, sample


def rehearse(*argv: str) -> dict[str, Any]:
    out = io.StringIO()
    assert main([*argv, "--json"], out=out) == 0
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


def records(report: dict[str, Any], label_prefix: str = "") -> list[dict[str, Any]]:
    return [
        record
        for delivery in report["deliveries"]
        if delivery["label"].startswith(label_prefix)
        for record in delivery["records"]
    ]


@pytest.fixture(scope="module")
def default_morning() -> Written:
    """The default rehearsal, played once for the tests that read its report, as data or as text."""
    return written_both_ways()


@pytest.fixture
def default_run(default_morning: Written) -> dict[str, Any]:
    return default_morning.data


@pytest.fixture
def default_text(default_morning: Written) -> str:
    return default_morning.text


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
    # The OOM task, the task that could not pull its image and the payments team's task: one each.
    assert len(own) == 3
    alarms = {
        alarm["name"].rsplit("-", 2)[0].removeprefix("ecs-task-events-"): alarm for alarm in default_run["alarms"]
    }
    # Three stops in the run, in one 60 s period or split over two when the run crosses a minute: ALARM either way.
    assert alarms["abnormal-stops"]["state"] == "ALARM" and sum(alarms["abnormal-stops"]["values"]) == 3.0
    assert {name: alarm["state"] for name, alarm in alarms.items() if name != "abnormal-stops"} == {
        "undelivered": "OK",
        "failed": "OK",
        "function-errors": "OK",
        "function-throttles": "OK",
    }


def test_the_records_are_in_the_emulated_log_group(default_run: dict[str, Any]) -> None:
    written = records(default_run)
    stored = default_run["log_events"]
    assert len(stored) == len(written) == 12  # the payments team's task stop and deployment among them
    for tail, record in zip(stored, written, strict=True):
        assert tail["message"] == record and "[$LATEST]" in tail["logStreamName"]
        assert tail["timestamp"].startswith(record["timestamp"][:-1])


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
    assert error.startswith(
        "python3 -m rehearse: `pulumi up` would stop here, before the program runs: error: validating stack config: "
        "Stack 'dev' with configuration key 'logRetentionDays' must be of type 'integer'"
    )
    assert error.endswith(" Fix: --config logRetentionDays=30\n")


def test_bad_config_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", "logRetentionDays=8"], out=io.StringIO()) == 2
    error = capsys.readouterr().err
    assert "ecs-task-events:logRetentionDays = '8'" in error and "Fix: --config logRetentionDays=7" in error
    assert main(["--config", "nonsense"], out=io.StringIO()) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err


def test_a_miss_is_explained_by_what_differs() -> None:
    pattern = {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"], "detail": {"clusterArn": ["x"]}}
    assert explain_miss({"source": "aws.ec2"}, [pattern]) == "other source 'aws.ec2'"
    assert explain_miss({"source": "aws.ecs", "detail-type": "ECS Service Action"}, [pattern]).startswith(
        "other detail-type 'ECS Service Action'"
    )


def test_the_readme_opens_with_the_two_commands_a_newcomer_needs() -> None:
    readme = user_docs()
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


def test_a_held_back_message_says_what_it_would_have_said_why_and_that_the_next_counts_it(
    default_run: dict[str, Any], default_text: str
) -> None:
    """The image-pull failure comes inside the window the OOM message opened (same service, same kind)."""
    held = {d["label"]: d["held"] for d in default_run["deliveries"] if d["held"]}
    assert list(held) == ["a task cannot pull its image"]
    message = held["a task cannot pull its image"]
    assert message["subject"] == "orders-api: task 5e1c2a9b failed to start (CannotPullContainerError)"
    assert message["subject"] not in [n["subject"] for n in default_run["notifications"]]  # not on the topic
    assert "Container app:" in message["message"] and "CannotPullContainerError" in message["message"]
    why = message["why"]
    assert why.startswith("held back: orders-api already had a task message within 10 minutes")
    assert "'orders-api: task 5e1c2a9b OOM-killed (exit 137)' (OOM task: STOPPED (out of memory)" in why
    assert "its subject ends '(+1 held back)'" in why
    shown = default_text
    assert "its message to on-call was held back: 'orders-api: task 5e1c2a9b failed to start" in shown
    assert "  Not sent, held back: orders-api already had a task message" in shown
    assert (
        "  It would have said:\n  Subject: orders-api: task 5e1c2a9b failed to start (CannotPullContainerError)"
        in shown
    )


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('"hello"', "it holds a JSON string, not an event"),
        ("", "the file is empty"),
        ("   \n", "the file is empty"),
        ("{bad", "not JSON (Expecting property name enclosed in double quotes at line 1, column 2)"),
        ("[]", "an empty JSON array, no events to play"),
        ("3", "it holds a JSON number, not an event"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        (b"\xff\xfe{}", "not UTF-8 text"),
    ],
)
def test_a_bad_event_file_is_one_line_naming_the_file_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, said: str
) -> None:
    path = tmp_path / "events.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main([str(path)], out=io.StringIO()) == 2
    heading, *lines = capsys.readouterr().err.splitlines()
    assert heading == "python3 -m rehearse: the event files hold what cannot be played, nothing was deployed:"
    assert lines == [lines[0]] and lines[0].startswith(f"  - {path}: {said}")
    assert "JSON object" in lines[0] or "an ECS event" in lines[0]  # what the file should hold


def test_every_bad_item_of_an_array_is_named_by_its_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([sample("task_running"), "a note", {"detail": "x", **_envelope()}, 7]))
    missing = tmp_path / "missing.json"
    assert main([str(path), str(missing)], out=io.StringIO()) == 2
    _, *lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"  - {path}[1]: item [1] is a JSON string, not an event; it should hold an ECS event (a JSON object, as in "
        "tests/events/task_stopped_oom.json) or a JSON array of them",
        f"  - {path}[2]: its detail is a JSON string, not a JSON object; an ECS event's detail says what happened",
        f"  - {path}[3]: item [3] is a JSON number, not an event; it should hold an ECS event (a JSON object, as in "
        "tests/events/task_stopped_oom.json) or a JSON array of them",
        f"  - {missing}: cannot be read (No such file or directory); give the path of a file holding an ECS event (a "
        "JSON object, as in tests/events/task_stopped_oom.json) or a JSON array of them",
    ]


def _envelope() -> dict[str, Any]:
    return {key: value for key, value in sample("task_running").items() if key != "detail"}


def test_the_envelope_the_rehearsal_requires_is_the_one_testeventpattern_requires() -> None:
    """EventBridge API Reference, TestEventPattern: "the following fields are mandatory: id, account, source, time,
    region, resources, detail-type" (read from botocore's model of the API, as installed)."""
    import botocore.loaders  # noqa: PLC0415

    model = botocore.loaders.Loader().load_service_model("events", "service-2")
    documentation = model["shapes"]["TestEventPatternRequest"]["members"]["Event"]["documentation"]
    mandatory = re.findall(r"<li> <p> <code>([\w-]+)</code> </p> </li>", documentation)
    assert mandatory and tuple(mandatory) == ENVELOPE
    for missing in ENVELOPE:
        event = sample("task_running")
        del event[missing]
        assert f"no {missing!r}" in str(envelope_problem(event))


def test_an_event_without_its_envelope_says_what_is_missing_and_a_bare_detail_can_be_wrapped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "detail.json"
    bare.write_text(json.dumps(sample("task_stopped_oom")["detail"]))
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"detail-type": "ECS Task State Change", "detail": {}}))
    assert main([str(bare), str(partial)], out=io.StringIO()) == 2
    _, bare_line, partial_line = capsys.readouterr().err.splitlines()
    assert bare_line.startswith(f"  - {bare}: this looks like the detail of an ECS Task State Change without its ")
    assert bare_line.endswith("add --wrap-detail to wrap it in an EventBridge envelope, or give the whole event")
    assert partial_line.startswith(f"  - {partial}: not an event EventBridge delivers: no 'id', 'account', 'source'")
    assert "None" not in bare_line + partial_line
    report = rehearse(str(bare), "--wrap-detail")
    (delivery,) = report["deliveries"]
    assert delivery["caught_by"] == report["rules"] and delivery["detail_type"] == "ECS Task State Change"
    assert [r["message"] for r in delivery["records"]] == [
        "task 5e1c2a9b STOPPED EssentialContainerExited: app exited 137 OutOfMemoryError"
    ]


def test_an_event_of_another_region_gets_the_overrides_that_catch_it(tmp_path: Path) -> None:
    west = tmp_path / "west.json"
    west.write_text(json.dumps(sample("task_stopped_oom")).replace("eu-west-1", "us-west-2"))
    (delivery,) = rehearse(str(west))["deliveries"]
    cluster = "arn:aws:ecs:us-west-2:111122223333:cluster/demo"
    assert delivery["why_not"].startswith(f"other cluster {cluster}, of us-west-2: the stack deploys to eu-west-1")
    hint = delivery["why_not"].split("To rehearse that cluster's stack: ", 1)[1]
    assert hint == f"--config aws:region=us-west-2 --config clusterArn={cluster}"
    overrides = [part for option in hint.split("--config ")[1:] for part in ("--config", option.strip())]
    (caught,) = rehearse(str(west), *overrides)["deliveries"]
    assert caught["caught_by"] and caught["records"][0]["level"] == "ERROR"


def test_a_fix_is_said_as_the_override_that_fixes_it_and_it_does(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", "logRetentionDays=8", "--config", "logretentiondays=14"], out=io.StringIO()) == 2
    error = capsys.readouterr().err
    assert "pulumi config" not in error
    fixes = [line.split(" Fix: ", 1)[1] for line in error.splitlines() if " Fix: " in line]
    assert fixes == [
        "leave out --config logretentiondays=... (or remove logretentiondays from Pulumi.dev.yaml), then "
        "--config logRetentionDays=14",
        "--config logRetentionDays=7",
    ]
    assert main(["--config", "logRetentionDays=7"], out=io.StringIO()) == 0


def test_config_commands_become_overrides() -> None:
    said = in_rehearsal_terms(
        "Fix: pulumi config rm clusterArn && pulumi config set --path 'clusterArns[0]' arn:x && "
        'pulumi config set tags \'{"a": "b"}\', or pulumi config rm alertEmail',
        "Pulumi.dev.yaml",
    )
    assert said == (
        "Fix: --config clusterArn= --config 'clusterArns[0]=arn:x' --config tags='{\"a\": \"b\"}', "
        "or --config alertEmail="
    )
    assert with_overrides({"ecs-task-events:clusterArn": "a"}, ["clusterArns[0]=x", "clusterArns[1]=y"]) == {
        "ecs-task-events:clusterArns": ["x", "y"]
    }


def test_an_unknown_aws_key_is_refused_as_the_provider_refuses_it(capsys: pytest.CaptureFixture[str]) -> None:
    """A bridged provider's CheckConfig refuses a key of its namespace that it does not declare
    (pulumi/pulumi-terraform-bridge, pkg/tfbridge/provider_test.go, TestCheckConfig: "`cloudflare:requiredprop` is
    not a valid configuration key for the cloudflare provider"); the declared keys are the installed SDK's."""
    assert {"region", "defaultTags", "profile", "skipCredentialsValidation"} <= provider_keys()
    assert "regoin" not in provider_keys()
    assert main(["--config", "aws:regoin=us-west-2"], out=io.StringIO()) == 2
    heading, line = capsys.readouterr().err.splitlines()
    assert heading == "python3 -m rehearse: `pulumi up` would stop here, the AWS provider refuses its config:"
    assert line == (
        "  - aws:regoin = 'us-west-2': the AWS provider has no setting 'regoin', so `pulumi up` would stop (the "
        "provider refuses keys of its namespace it does not know); did you mean aws:region? Fix: "
        "--config aws:region=us-west-2 (and leave out --config aws:regoin)"
    )


def test_datapoints_are_totalled_and_alarms_sorted(default_run: dict[str, Any], default_text: str) -> None:
    section = default_text.split("== Metric datapoints\n", 1)[1].split("\n\n", 1)[0].splitlines()
    invocations = [line for line in section if " Invocations " in line]
    assert len(invocations) == 1 and invocations[0].startswith("  AWS/Lambda Invocations = 12 (Sum of 12 datapoints)")
    assert any(
        line.startswith("  EcsTaskEvents TaskStartupSeconds = 16.488 (Average of 2 datapoints") for line in section
    )
    names = [(t["namespace"], t["metric"]) for t in default_run["totals"]]
    # One total per metric and dimensions: two services' AbnormalTaskStops are two totals.
    keys = [(t["namespace"], t["metric"], json.dumps(t["dimensions"], sort_keys=True)) for t in default_run["totals"]]
    assert names == sorted(names) and len(keys) == len(set(keys))
    raw = [p for p in default_run["datapoints"] if p["metric"] == "Invocations"]
    (total,) = [t for t in default_run["totals"] if t["metric"] == "Invocations"]
    assert total["sum"] == sum(p["value"] for p in raw) == 12 and total["sample_count"] == len(raw)
    alarms = [alarm["name"] for alarm in default_run["alarms"]]
    assert alarms == sorted(alarms)
    shown = [line.split()[1] for line in default_text.split("== Alarms\n", 1)[1].split("\n\n", 1)[0].splitlines()]
    assert shown == alarms


def test_json_records_are_objects(default_run: dict[str, Any]) -> None:
    for delivery in default_run["deliveries"]:
        assert "lines" not in delivery
        assert all(isinstance(record, dict) and "level" in record for record in delivery["records"])
    assert all(isinstance(event["message"], dict) for event in default_run["log_events"])
