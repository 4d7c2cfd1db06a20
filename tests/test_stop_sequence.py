"""One failing task counts once: a whole stop sequence, duplicates included, through the records, the metric
filters and the abnormal-stop alarm as deployed.

AWS behaviour relied on, by page:
- "Amazon ECS task state change events" (docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html):
  a task sends an event at every change of lastStatus or desiredStatus and of a container's state, so a stopping
  task sends RUNNING (desired STOPPED), DEACTIVATING, STOPPING, DEPROVISIONING and STOPPED.
- "Amazon ECS events" (docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_cwe_events.html): events may be
  sent more than once; a duplicate has the same ``version`` in ``detail``.
- "Filter pattern syntax for metric filters" (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/
  FilterAndPatternSyntax.html): JSON patterns, evaluated here by rehearse/filter_patterns.py.
- "Using Amazon CloudWatch alarms" (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html):
  an alarm compares the period's statistic with the threshold.
"""

from __future__ import annotations

import copy
import json
from collections import Counter, defaultdict
from typing import Any

import pytest
from handler_capture import invoke, load_event
from test_reliability import FILTER, LOG_GROUP, alarms_by_name, build

from handler import app
from rehearse.metrics import evaluate_alarm, publish

RUNNING_ID = "3317b2af-7005-947d-b652-f55e762e5703"


def stop_phase(status: str, version: int, event_id: str, *, desired: str = "STOPPED") -> dict[str, Any]:
    """The OOM sample's task at an earlier point of its stop: no stoppedAt yet, the log router still up."""
    event = copy.deepcopy(load_event("task_stopped_oom"))
    event["id"] = event_id
    detail = event["detail"]
    detail.update(lastStatus=status, desiredStatus=desired, version=version)
    for key in ("stoppedAt", "executionStoppedAt", "stoppingAt"):
        detail.pop(key, None)
    detail["containers"][1]["lastStatus"] = "RUNNING"
    del detail["containers"][1]["exitCode"]
    return event


def stopped(version: int, event_id: str) -> dict[str, Any]:
    event = copy.deepcopy(load_event("task_stopped_oom"))
    event["id"] = event_id
    event["detail"]["version"] = version
    return event


def oom_task_life() -> list[tuple[str, dict[str, Any]]]:
    """One task from start to OOM kill, as ECS sends it, with a RUNNING event delivered twice (same id, the
    bus retried) and the STOPPED event sent twice (another id, ECS sent it again: same detail.version)."""
    running = load_event("task_running")
    assert running["id"] == RUNNING_ID
    return [
        ("provisioning", load_event("task_provisioning")),
        ("pending", load_event("task_pending")),
        ("running", running),
        ("running again", copy.deepcopy(running)),
        ("stop requested", stop_phase("RUNNING", 4, "stop-4")),
        ("deactivating", stop_phase("DEACTIVATING", 5, "stop-5")),
        ("stopping", stop_phase("STOPPING", 6, "stop-6")),
        ("deprovisioning", stop_phase("DEPROVISIONING", 7, "stop-7")),
        ("stopped", stopped(8, "stop-8")),
        ("stopped again", stopped(8, "stop-8-resent")),
    ]


@pytest.fixture(scope="module")
def deployed_filters_and_alarm() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The metric filters and the abnormal-stop alarm as the component registers them."""
    deployed = build()
    group = deployed.one(LOG_GROUP).outputs["name"]
    filters = [f.inputs for f in deployed.of_type(FILTER)]
    assert all(f["logGroupName"] == group for f in filters)
    return filters, alarms_by_name(deployed)["abnormal-stops"]


def lines_of(sequence: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """Each event through the handler, in order, in one warm instance: the line Lambda writes."""
    lines = {}
    for name, event in sequence:
        (line,) = invoke(event).lines
        lines[name] = line
    return lines


def datapoints(filters: list[dict[str, Any]], lines: dict[str, str]) -> dict[tuple[str, str], list[tuple[str, Any]]]:
    """What each filter publishes (the rehearsal's evaluator): per (namespace, metric), the (record, value) of each."""
    names = list(lines)
    published: dict[tuple[str, str], list[tuple[str, Any]]] = defaultdict(list)
    for point in publish(filters, list(lines.values())):
        published[(point.namespace, point.metric)].append((names[point.record], point.value))
    return published


def test_one_oom_task_gives_one_error_one_abnormal_stop_and_one_start(
    deployed_filters_and_alarm: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    filters, alarm = deployed_filters_and_alarm
    lines = lines_of(oom_task_life())
    records = {name: json.loads(line) for name, line in lines.items()}

    levels = {name: record["level"] for name, record in records.items()}
    assert levels == {
        "provisioning": "INFO",
        "pending": "INFO",
        "running": "INFO",
        "running again": "INFO",
        "stop requested": "WARNING",
        "deactivating": "WARNING",
        "stopping": "WARNING",
        "deprovisioning": "WARNING",
        "stopped": "ERROR",
        "stopped again": "INFO",
    }
    assert [name for name, record in records.items() if "abnormal" in record] == ["stopped"]
    assert records["stopped"]["abnormal"] is True
    assert [name for name, record in records.items() if record.get("duplicate")] == ["running again", "stopped again"]
    for key in ("startupSeconds", "pullSeconds"):
        assert [name for name, record in records.items() if key in record] == ["running"], key
    assert [name for name, record in records.items() if "runSeconds" in record] == ["stopped"]
    # Nothing is lost: the duplicates are logged, with what identifies them.
    assert records["stopped again"]["version"] == 8
    assert records["running again"]["eventId"] == RUNNING_ID

    published = datapoints(filters, lines)
    counts = Counter({key: len(points) for key, points in published.items()})
    by_metric: Counter[str] = Counter()
    for (_, metric), count in counts.items():
        by_metric[metric] += count
    # Per-logger and per-group: one datapoint each for the one dead task.
    assert by_metric == {"AbnormalTaskStops": 2, "TaskStartupSeconds": 1, "ImagePullSeconds": 1}
    assert published[(alarm["namespace"], "AbnormalTaskStops")] == [("stopped", 1.0)]
    (startup,) = [points for (_, metric), points in published.items() if metric == "TaskStartupSeconds"]
    assert startup == [("running", 16.488)]

    # The alarm: Sum of its metric over each period, compared with the threshold.
    assert (alarm["metricName"], alarm["statistic"], alarm["period"]) == ("AbnormalTaskStops", "Sum", 60)
    assert (alarm["threshold"], alarm["comparisonOperator"]) == (0, "GreaterThanThreshold")
    state, sums = evaluate_alarm(alarm, publish(filters, list(lines.values())))
    assert sum(sums) == 1
    assert state == "ALARM"  # it fires, once


def test_a_clean_stop_sequence_stays_info_and_counts_nothing(
    deployed_filters_and_alarm: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    filters, _ = deployed_filters_and_alarm
    sequence = []
    for status, version in (("RUNNING", 4), ("DEACTIVATING", 5), ("STOPPING", 6), ("DEPROVISIONING", 7)):
        event = stop_phase(status, version, f"scale-in-{version}")
        event["detail"].update(stopCode="ServiceSchedulerInitiated", stoppedReason="Scaling activity initiated")
        event["detail"]["containers"][0].update(exitCode=0)
        del event["detail"]["containers"][0]["reason"]
        sequence.append((status, event))
    lines = lines_of(sequence)
    assert {json.loads(line)["level"] for line in lines.values()} == {"INFO"}
    assert not datapoints(filters, lines)


def test_a_duplicate_is_recognised_by_task_and_version_not_by_event_id() -> None:
    first = invoke(stopped(8, "one-id")).record
    again = invoke(stopped(8, "another-id")).record
    later = invoke(stopped(9, "third-id")).record
    assert "duplicate" not in first and first["abnormal"] is True
    assert again["duplicate"] is True and again["eventId"] == "another-id"
    assert "duplicate" not in later and later["abnormal"] is True  # a newer version is news


def test_a_duplicate_keeps_its_facts_but_drops_the_verdict_and_the_timings() -> None:
    for event, dropped in (
        (stopped(8, "a"), {"abnormal", "runSeconds"}),
        (load_event("task_running"), {"startupSeconds", "pullSeconds"}),
    ):
        first = invoke(event).record
        again = invoke(copy.deepcopy(event)).record
        assert again["level"] == "INFO"
        assert {key for key in first if key not in again} == dropped
        assert {key for key in again if key not in first} == {"duplicate"}
        assert again["message"] == first["message"]


def test_the_cache_of_seen_events_is_bounded_and_forgets_the_oldest() -> None:
    limit = app.SEEN_EVENTS_LIMIT
    assert 100 <= limit <= 10_000
    invoke(stopped(1, "oldest"))
    invoke(stopped(2, "kept"))
    for version in range(3, limit + 2):  # the cache now holds versions 2 .. limit + 1: 1 was evicted
        app.remember_event(("arn:aws:ecs:eu-west-1:111122223333:task/demo/5e1c2a9b0d3f4e6a8b7c9d0e1f2a3b4c", version))
    assert len(app.SEEN_EVENTS) == limit
    assert "duplicate" not in invoke(stopped(1, "oldest again")).record
    assert invoke(stopped(limit + 1, "newest again")).record["duplicate"] is True


def test_an_event_without_a_version_is_never_taken_for_a_duplicate() -> None:
    event = stopped(8, "x")
    del event["detail"]["version"]
    assert "duplicate" not in invoke(event).record
    assert "duplicate" not in invoke(copy.deepcopy(event)).record
