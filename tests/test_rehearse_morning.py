"""The rehearsal's default morning as on-call lives it: the failed container's own last lines, redacted, and each
message with the topic it reached (the alarm topic, or a team's route).

AWS behaviour relied on, by page:
- "Send Amazon ECS logs to CloudWatch" (docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html),
  awslogs-stream-prefix: the stream is prefix-name/container-name/ecs-task-id; the morning's streams are named so,
  in /ecs/FAMILY, the group the ECS console creates for a task definition family.
- PutLogEvents (CloudWatch Logs API Reference): events older than 14 days or more than 2 hours ahead are rejected
  (rejectedLogEventsInfo) while the rest are kept; moto does the same, and the rehearsal stops on a rejected line
  instead of playing a morning whose lines silently are not there.
- SNS API Reference, "Publish": a message reaches the subscribers of the topic it names, and only them; moto
  delivers to SQS subscribers in the SNS envelope (Subject, Message).
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from rehearsal_reports import Written, written_both_ways

from rehearse.__main__ import main
from rehearse.mocks import ACCOUNT, REGION, ROOT
from rehearse.play import emulated_aws, with_overrides, write_app_streams
from rehearse.sequence import LOGGED_SECRET, OOM_TASK, PAYMENTS_TASK, AppStream, app_streams, default_sequence

LINES = ("--config", 'containerLogGroups=["/ecs/"]', "--config", "containerLogLines=5")
PAYMENTS_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:payments-oncall"
ROUTES = json.dumps([{"services": ["payments-*"], "topicArn": PAYMENTS_TOPIC}])


def rehearse_json(*argv: str) -> dict[str, Any]:
    """The report as data (the command's --json)."""
    out = io.StringIO()
    assert main([*argv, "--json"], out=out) == 0
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


@pytest.fixture(scope="module")
def with_lines() -> Written:
    """The default morning with the containers' last lines, played once for the tests that read its report."""
    return written_both_ways(*LINES)


def shown_lines(message: str) -> list[str]:
    """The lines of the message's container-lines block, without their indent."""
    block = re.search(r"The task's last (\d+) container log lines \(redacted\):\n((?:  .*\n?)*)", message)
    assert block, message
    lines = [line.strip() for line in block[2].splitlines() if line.strip()]
    assert int(block[1]) == len(lines)
    return lines


def notification(report: dict[str, Any], subject_start: str) -> dict[str, str]:
    (found,) = [n for n in report["notifications"] if n["subject"].startswith(subject_start)]
    return found


def test_the_morning_streams_are_named_as_awslogs_names_them_for_the_failed_tasks() -> None:
    sequence = default_sequence()
    stops = {
        event["detail"]["taskArn"].rsplit("/", 1)[-1]: event["detail"]
        for _, event in sequence
        if event["detail"].get("stopCode") == "EssentialContainerExited"
    }
    streams = {stream.stream.rsplit("/", 1)[-1]: stream for stream in app_streams(sequence)}
    assert set(streams) == {OOM_TASK, PAYMENTS_TASK} <= set(stops)
    for task_id, stream in streams.items():
        family = stops[task_id]["taskDefinitionArn"].rsplit("/", 1)[-1].split(":")[0]
        container = next(c["name"] for c in stops[task_id]["containers"] if c.get("exitCode") not in (0, 143))
        assert stream.group == f"/ecs/{family}" and stream.stream == f"ecs/{container}/{task_id}"
        stop = datetime.fromisoformat(stops[task_id]["stoppedAt"].replace("Z", "+00:00"))
        assert all(when < stop.timestamp() * 1000 for when, _ in stream.lines)  # written before it stopped
    oom = [text for _, text in streams[OOM_TASK].lines]
    assert LOGGED_SECRET in oom[-3] and not any(LOGGED_SECRET in text for text in oom[:-3] + oom[-2:])


def test_the_morning_happened_in_the_last_hours_so_cloudwatch_logs_keeps_its_lines() -> None:
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    sequence = default_sequence(now)
    stamps = [
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        for _, event in sequence
        for value in re.findall(r'"(\d{4}-\d\d-\d\dT[\d:.]+Z)"', json.dumps(event))
    ]
    # Moved by whole seconds, so the samples' milliseconds stay: the last event within a second of a minute ago.
    assert now - timedelta(seconds=61) < max(stamps) <= now - timedelta(minutes=1)
    assert min(stamps) > now - timedelta(days=1)
    oom = next(event for label, event in sequence if label == "OOM task: STOPPED (out of memory)")["detail"]
    # The sample's durations are kept: it ran for as long as the sample says.
    ran = datetime.fromisoformat(oom["stoppedAt"][:-1]) - datetime.fromisoformat(oom["startedAt"][:-1])
    assert ran == timedelta(hours=2, minutes=30, seconds=14, milliseconds=250)


def test_a_line_cloudwatch_logs_would_refuse_stops_the_rehearsal() -> None:
    """The samples' own 2024 times are more than 14 days ago: PutLogEvents rejects such lines, and so must the bed."""
    stale = AppStream("/ecs/orders-api", f"ecs/app/{OOM_TASK}", [(1715686231250, "from the sample's own morning")])
    with emulated_aws(REGION, ACCOUNT):
        logs = boto3.client("logs", region_name=REGION)
        with pytest.raises(ValueError, match="tooOldLogEventEndIndex"):
            write_app_streams(logs, [stale])
        recent = int(datetime.now(UTC).timestamp() * 1000) - 60_000
        write_app_streams(logs, [AppStream("/ecs/orders-api", "ecs/app/other", [(recent, "kept")])])
        (kept,) = logs.filter_log_events(logGroupName="/ecs/orders-api")["events"]
        assert kept["message"] == "kept"


def test_the_oom_message_shows_its_last_five_lines_with_the_credential_redacted(
    with_lines: Written,
) -> None:
    report, whole = with_lines.data, with_lines.json_text
    oom = notification(report, "orders-api: task 5e1c2a9b OOM-killed")
    lines = shown_lines(oom["message"])
    assert len(lines) == 5 and all(line.startswith("[app] ") for line in lines)
    assert lines[-1] == "[app] FATAL: JavaScript heap out of memory"
    assert lines[2] == "[app] reconnecting to postgres://orders:***redacted***@db.internal:5432/orders"
    assert "Container logs in Logs Insights: https://eu-west-1.console.aws.amazon.com/cloudwatch/" in oom["message"]
    payments = notification(report, "payments-api: task 9b4f1e7c")
    assert shown_lines(payments["message"])[-1] == "[app] Error: connect ECONNREFUSED 10.0.3.7:5432"
    assert LOGGED_SECRET not in whole  # nowhere in the report: not the messages, not the records
    assert LOGGED_SECRET not in with_lines.text


def test_never_more_lines_than_asked() -> None:
    report = rehearse_json("--config", 'containerLogGroups=["/ecs/"]', "--config", "containerLogLines=2")
    oom = notification(report, "orders-api: task 5e1c2a9b OOM-killed")
    assert shown_lines(oom["message"]) == [
        "[app] export job: heap 498 MiB of 512 MiB",
        "[app] FATAL: JavaScript heap out of memory",
    ]


def test_every_message_reached_the_alarm_topic_without_routes(with_lines: Written) -> None:
    report = with_lines.data
    assert [(n["event"], n["reached"]) for n in report["notifications"]] == [
        ("OOM task: STOPPED (out of memory)", "the alarm topic"),
        ("the deployment fails", "the alarm topic"),
        ("payments-api: a task exits 1 (its database refuses it)", "the alarm topic"),
        ("payments-api: its deployment fails", "the alarm topic"),
    ]
    assert {n["topic"] for n in report["notifications"]} == {report_alarm_topic(report)}


def report_alarm_topic(report: dict[str, Any]) -> str:
    (topic,) = {n["topic"] for n in report["notifications"] if n["reached"] == "the alarm topic"}
    assert re.fullmatch(rf"arn:aws:sns:{REGION}:{ACCOUNT}:ecs-task-events-alerts-\w+", topic)
    return topic


def test_with_a_route_the_second_teams_messages_reach_its_topic_and_only_those() -> None:
    written = written_both_ways(*LINES, "--config", f"routes={ROUTES}")
    report = written.data
    reached = {n["subject"]: (n["reached"], n["topic"]) for n in report["notifications"]}
    alarm = report_alarm_topic(report)
    assert reached == {
        "orders-api: task 5e1c2a9b OOM-killed (exit 137)": ("the alarm topic", alarm),
        "orders-api: deployment failed": ("the alarm topic", alarm),
        "payments-api: task 9b4f1e7c app exited 1": ("routes[0]'s topic (payments-*)", PAYMENTS_TOPIC),
        "payments-api: deployment failed": ("routes[0]'s topic (payments-*)", PAYMENTS_TOPIC),
    }
    text = written.text
    assert (
        f"  Reached routes[0]'s topic (payments-*), {PAYMENTS_TOPIC} (from: payments-api: its deployment fails)\n"
        "  Subject: payments-api: deployment failed\n"
    ) in text


def test_routes_given_as_the_stack_file_holds_them_stay_json_text() -> None:
    """routes is a string in Pulumi.yaml: `pulumi config set routes '[...]'` stores the text, and so does --config."""
    assert with_overrides({}, [f"routes={ROUTES}"]) == {"ecs-task-events:routes": ROUTES}
    assert with_overrides({}, ['containerLogGroups=["/ecs/"]']) == {"ecs-task-events:containerLogGroups": ["/ecs/"]}


def test_a_route_topic_the_rehearsal_cannot_hold_is_one_line_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = PAYMENTS_TOPIC.replace(ACCOUNT, "444455556666")
    routes = json.dumps([{"services": ["payments-*"], "topicArn": elsewhere}])
    assert main(["--config", f"routes={routes}"], out=io.StringIO()) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert elsewhere in line and f"give it {PAYMENTS_TOPIC}" in line


def normalised(text: str) -> list[str]:
    """Lines with every ISO time as TIME: the sample is one run's, and a run's times are those of its morning."""
    return [re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z", "TIME", line) for line in text.splitlines()]


def test_the_docs_sample_email_is_what_the_rehearsal_sends(with_lines: Written) -> None:
    """docs/alarms-and-messages.md shows the OOM task's email as the rehearsal renders it; a link shortened there
    with '...' must start as the rendered one does."""
    page = (ROOT / "docs" / "alarms-and-messages.md").read_text()
    sample = page.split("A sample email,", 1)[1].split("```\n", 2)[1]
    report = with_lines.data
    oom = notification(report, "orders-api: task 5e1c2a9b OOM-killed")
    rendered = normalised(f"Subject: {oom['subject']}\n\n{oom['message']}")
    shown = normalised(sample)
    assert len(shown) == len(rendered)
    for doc_line, line in zip(shown, rendered, strict=True):
        if doc_line.endswith("..."):
            assert line.startswith(doc_line[:-3]) and len(line) > len(doc_line), doc_line
        else:
            assert doc_line == line


def test_with_a_team_channel_the_second_teams_chat_messages_reach_its_chat_topic_only() -> None:
    """The whole wiring in moto: the component's chat topics and NOTIFY_ROUTES, the function's publishes."""
    routes = json.dumps([{"services": ["payments-*"], "topicArn": PAYMENTS_TOPIC, "slackChannelId": "C0PAYMENTS1"}])
    slack = ("--config", "slackWorkspaceId=T07EA123LEP", "--config", "slackChannelId=C07EZ1ABC23")
    written = written_both_ways(*slack, "--config", f"routes={routes}")
    report = written.data
    chats = [n for n in report["notifications"] if not n["subject"]]
    reached = sorted((n["reached"], json.loads(n["message"])["content"]["title"]) for n in chats)
    assert reached == [
        ("routes[0]'s chat topic (payments-*)", ":rotating_light: payments-api: deployment failed"),
        ("routes[0]'s chat topic (payments-*)", ":rotating_light: payments-api: task 9b4f1e7c app exited 1"),
        ("the chat topic", ":rotating_light: orders-api: deployment failed"),
        ("the chat topic", ":rotating_light: orders-api: task 5e1c2a9b OOM-killed (exit 137)"),
    ]
    team_chat = {n["topic"] for n in chats if n["reached"].startswith("routes[0]")}
    assert len(team_chat) == 1 and team_chat != {n["topic"] for n in chats if n["reached"] == "the chat topic"}
    text = written.text
    assert "  Chat: :rotating_light: payments-api: deployment failed\n" in text


def test_with_action_logs_the_rehearsal_says_which_resources_it_only_checked() -> None:
    """moto holds no ECS delivery source and no log-group resource policy (rehearse/aws.py), nor a saved query: the
    report's "Who played AWS's part" names those resources as checked against the API model only, not created."""
    report = rehearse_json("--config", "actionLogs=true")
    checked = [note for note in report["notes"] if note.startswith("not created, only checked:")]
    named = " ".join(checked)
    for resource in ("action-logs-demo", "action-logs-demo-delivery", "action-logs-policy"):
        assert re.search(rf"\b[\w-]*{resource}\b", named), (resource, checked)
    assert all("API model" in note for note in checked)
    plain = rehearse_json()
    assert "action-logs" not in " ".join(plain["notes"])
