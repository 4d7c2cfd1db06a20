"""The Lambda handler over real-shaped ECS events: one exact record per event."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest
from handler_capture import invoke, load_event, sample_names

from handler import app
from handler.classify import classify_task
from handler.log_format import STANDARD_ATTRIBUTES
from handler.parse import Oddities, parse_timestamp
from handler.redact import is_secret_name, redact_command, redact_text
from handler.task_event import TaskState

CLUSTER = "arn:aws:ecs:eu-west-1:111122223333:cluster/demo"
TASK_ID = "5e1c2a9b0d3f4e6a8b7c9d0e1f2a3b4c"
TASK = f"arn:aws:ecs:eu-west-1:111122223333:task/demo/{TASK_ID}"
TASK_DEFINITION = "arn:aws:ecs:eu-west-1:111122223333:task-definition/orders-api:42"
HEAD = "task 5e1c2a9b STOPPED"
PULL_REASON = (
    "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref "
    "111122223333.dkr.ecr.eu-west-1.amazonaws.com/orders-api:1.8.3: not found"
)

# sample -> (level, abnormal (absent unless true), message)
EXPECTED = {
    "task_provisioning": ("INFO", None, "task 5e1c2a9b PROVISIONING->RUNNING"),
    "task_pending": ("INFO", None, "task 5e1c2a9b PENDING->RUNNING"),
    "task_running": ("INFO", None, "task 5e1c2a9b RUNNING"),
    "task_running_sidecar_stopped": (
        "WARNING",
        None,
        "task 5e1c2a9b RUNNING: log-router exited 1",
    ),
    "task_stopping": (  # the verdict comes with STOPPED: until then a warning sign
        "WARNING",
        None,
        "task 5e1c2a9b DEACTIVATING->STOPPED EssentialContainerExited: app exited 1",
    ),
    "task_stopped_essential_error": ("ERROR", True, f"{HEAD} EssentialContainerExited: app exited 1"),
    "task_stopped_essential_clean": (
        "INFO",
        None,
        "task 5e1c2a9b STOPPED EssentialContainerExited",
    ),
    "task_stopped_oom": ("ERROR", True, f"{HEAD} EssentialContainerExited: app exited 137 OutOfMemoryError"),
    "task_stopped_user": (
        "INFO",
        None,
        "task 5e1c2a9b STOPPED UserInitiated: Task stopped by user",
    ),
    "task_stopped_scale_in": (
        "INFO",
        None,
        f"{HEAD} ServiceSchedulerInitiated: Scaling activity initiated by (deployment ecs-svc/1234567890123456789)",
    ),
    "task_stopped_unclean_shutdown": (
        "WARNING",
        None,
        f"{HEAD} ServiceSchedulerInitiated: app exited 137; "
        "Scaling activity initiated by (deployment ecs-svc/1234567890123456789)",
    ),
    "task_stopped_health_check": (
        "ERROR",
        True,
        f"{HEAD} ServiceSchedulerInitiated: Task failed ELB health checks in (target-group "
        "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/orders-api/0123456789abcdef)",
    ),
    "task_failed_to_start_image_pull": (
        "ERROR",
        True,
        f"{HEAD} TaskFailedToStart: app CannotPullContainerError; {PULL_REASON}",
    ),
    "task_failed_to_start_no_containers": (
        "ERROR",
        True,
        f"{HEAD} TaskFailedToStart: ResourceInitializationError: unable to pull secrets or registry auth: "
        "execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried "
        "5 time(s): AccessDeniedExc…",
    ),
    "task_stopped_spot": ("WARNING", None, f"{HEAD} SpotInterruption: Your Spot Task was interrupted."),
    "task_stopped_termination_notice": (
        "WARNING",
        None,
        f"{HEAD} TerminationNotice: Host EC2 (instance i-0a1b2c3d4e5f67890) terminated.",
    ),
    "task_stopped_infrastructure_health": (
        "WARNING",
        None,
        f"{HEAD} InfrastructureHealth: Task stopped due to underlying infrastructure health",
    ),
    "task_stopped_unknown_code": (
        "WARNING",
        None,
        f"{HEAD} CapacityRebalance: Task stopped for capacity rebalancing",
    ),
    "task_overrides_with_secrets": ("INFO", None, "task 5e1c2a9b RUNNING"),
    "container_instance_state_change": (
        "WARNING",
        None,
        "container instance 8f9e0d1c ACTIVE (i-0a1b2c3d4e5f67890) agent disconnected",
    ),
    "service_action": ("WARNING", None, "service orders-api SERVICE_TASK_START_IMPAIRED"),
    "deployment_state_change": (
        "ERROR",
        None,
        "service orders-api SERVICE_DEPLOYMENT_FAILED: ECS deployment circuit breaker: task failed to start.",
    ),
    "deployment_rollback": (
        "INFO",
        None,
        "service orders-api SERVICE_DEPLOYMENT_IN_PROGRESS: ECS deployment circuit breaker: rolling back to "
        "deploymentId ecs-svc/1234567890123456789.",
    ),
    "service_task_placement_failure": (
        "ERROR",
        None,
        "service orders-api SERVICE_TASK_PLACEMENT_FAILURE: RESOURCE:MEMORY",
    ),
    "service_steady_state": ("INFO", None, "service orders-api SERVICE_STEADY_STATE"),
}


def test_every_sample_has_an_expectation() -> None:
    assert set(EXPECTED) == set(sample_names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_gets_its_level_flag_and_message(name: str) -> None:
    level, abnormal, message = EXPECTED[name]
    record = invoke(load_event(name)).record
    assert (record["level"], record.get("abnormal"), record["message"]) == (level, abnormal, message)
    assert record["logger"] == "ecs-task-events"
    assert record["requestId"] == "8f5f1d2e-0c3b-4a5d-9e6f-7a8b9c0d1e2f"
    assert record["eventId"] == load_event(name)["id"]


def test_oom_stop_record_has_exactly_these_fields() -> None:
    record = invoke(load_event("task_stopped_oom")).record
    del record["timestamp"]
    assert record == {
        "level": "ERROR",
        "message": f"{HEAD} EssentialContainerExited: app exited 137 OutOfMemoryError",
        "logger": "ecs-task-events",
        "requestId": "8f5f1d2e-0c3b-4a5d-9e6f-7a8b9c0d1e2f",
        "detailType": "ECS Task State Change",
        "eventId": "3317b2af-7005-947d-b652-f55e762e5707",
        "eventTime": "2024-05-14T11:30:31Z",
        "clusterArn": CLUSTER,
        "taskId": TASK_ID,
        "group": "service:orders-api",
        "taskDefinition": "orders-api:42",
        "launchType": "FARGATE",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "version": 6,
        "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
        "containers": [
            {"name": "app", "exitCode": 137, "reason": "OutOfMemoryError: Container killed due to memory usage"},
            {"name": "log-router", "exitCode": 143},
        ],
        "abnormal": True,
        "runSeconds": 9014.25,
    }


def test_provisioning_record_leaves_out_what_is_not_there_yet() -> None:
    record = invoke(load_event("task_provisioning")).record
    for absent in ("stopCode", "stoppedReason", "startupSeconds", "pullSeconds", "runSeconds", "oddities"):
        assert absent not in record
    assert record["containers"] == [
        {"name": "app", "lastStatus": "PENDING"},
        {"name": "log-router", "lastStatus": "PENDING"},
    ]
    assert record["version"] == 1


def test_spot_task_names_its_capacity_provider() -> None:
    record = invoke(load_event("task_stopped_spot")).record
    assert record["capacityProviderName"] == "FARGATE_SPOT"
    assert "launchType" not in record


def test_a_capacity_provider_named_like_the_launch_type_is_not_repeated() -> None:
    same = invoke(with_detail("task_stopped_oom", capacityProviderName="FARGATE")).record
    assert (same["launchType"], "capacityProviderName" in same) == ("FARGATE", False)
    other = invoke(with_detail("task_stopped_oom", capacityProviderName="FARGATE_SPOT", version=7)).record
    assert (other["launchType"], other["capacityProviderName"]) == ("FARGATE", "FARGATE_SPOT")


def rebuilt_task_arn(record: dict[str, Any]) -> str:
    """The task ARN from the record: its own if it kept one, else arn:...:task/<cluster name>/<task id>."""
    if "taskArn" in record:
        return str(record["taskArn"])
    return record["clusterArn"].replace(":cluster/", ":task/") + "/" + record["taskId"]


def rebuilt_task_definition_arn(record: dict[str, Any]) -> str:
    """The task definition ARN from the record: the cluster's region and account, and 'family:revision'."""
    if "taskDefinitionArn" in record:
        return str(record["taskDefinitionArn"])
    return record["clusterArn"].split(":cluster/")[0] + ":task-definition/" + record["taskDefinition"]


TASK_SAMPLES = [name for name in sample_names() if load_event(name)["detail-type"] == "ECS Task State Change"]


@pytest.mark.parametrize("name", TASK_SAMPLES)
def test_nothing_is_lost_the_arns_rebuild_from_every_record(name: str) -> None:
    """Each fact once: the record drops the ARNs its other fields imply, and they rebuild exactly.

    ARN formats: "Actions, resources, and condition keys for Amazon Elastic Container Service" in the Service
    Authorization Reference (docs.aws.amazon.com/service-authorization/latest/reference/
    list_amazonelasticcontainerservice.html): task arn:${Partition}:ecs:${Region}:${Account}:task/${ClusterName}/
    ${TaskId}, task definition ...:task-definition/${TaskDefinitionFamilyName}:${TaskDefinitionRevisionNumber}.
    """
    event = load_event(name)
    record = invoke(event).record
    assert "taskArn" not in record and "taskDefinitionArn" not in record  # every sample has the long format
    assert rebuilt_task_arn(record) == event["detail"]["taskArn"]
    assert rebuilt_task_definition_arn(record) == event["detail"]["taskDefinitionArn"]


def test_a_task_arn_in_the_old_format_is_kept_whole() -> None:
    """The old format has no cluster name (arn:aws:ecs:region:account:task/task-id): it cannot be rebuilt.

    ECS made the long format (with the cluster name) mandatory in 2021; tasks of older settings had the short one
    ("Migrating your Amazon ECS deployment to the new ARN and resource ID format", AWS Compute Blog).
    """
    old = f"arn:aws:ecs:eu-west-1:111122223333:task/{TASK_ID}"
    event = with_detail("task_stopped_oom", taskArn=old)
    record = invoke(event).record
    assert (record["taskArn"], record["taskId"]) == (old, TASK_ID)
    assert rebuilt_task_arn(record) == old
    assert "taskDefinitionArn" not in record  # the cluster still gives the task definition's region and account


def test_arns_that_the_cluster_does_not_imply_are_kept() -> None:
    elsewhere = "arn:aws:ecs:eu-west-1:444455556666:task-definition/shared:3"
    record = invoke(with_detail("task_stopped_oom", taskDefinitionArn=elsewhere)).record
    assert (record["taskDefinition"], record["taskDefinitionArn"]) == ("shared:3", elsewhere)
    assert rebuilt_task_definition_arn(record) == elsewhere
    no_cluster = invoke(with_detail("task_stopped_oom", clusterArn=None, version=7)).record
    assert (no_cluster["taskArn"], no_cluster["taskDefinitionArn"]) == (TASK, TASK_DEFINITION)


def test_a_container_status_is_written_only_where_it_differs_from_the_tasks() -> None:
    stopping = invoke(load_event("task_stopping")).record  # DEACTIVATING: app STOPPED, log-router RUNNING
    assert stopping["containers"] == [
        {"name": "app", "lastStatus": "STOPPED", "exitCode": 1},
        {"name": "log-router", "lastStatus": "RUNNING"},
    ]
    running = invoke(load_event("task_running")).record
    assert running["containers"] == [{"name": "app"}, {"name": "log-router"}]


def test_unknown_stop_code_is_a_warning_that_says_so() -> None:
    record = invoke(load_event("task_stopped_unknown_code")).record
    assert record["oddities"] == ["unknown stopCode 'CapacityRebalance'"]


def test_other_detail_types_get_their_own_fields() -> None:
    instance = invoke(load_event("container_instance_state_change")).record
    assert instance["containerInstanceArn"].endswith("/8f9e0d1c2b3a49586f7e6d5c4b3a2910")
    assert (instance["ec2InstanceId"], instance["status"], instance["agentConnected"]) == (
        "i-0a1b2c3d4e5f67890",
        "ACTIVE",
        False,
    )
    assert instance["version"] == 14801
    action = invoke(load_event("service_action")).record
    assert action["serviceArn"] == "arn:aws:ecs:eu-west-1:111122223333:service/demo/orders-api"
    assert (action["eventType"], action["eventName"], action["clusterArn"]) == (
        "WARN",
        "SERVICE_TASK_START_IMPAIRED",
        CLUSTER,
    )
    deployment = invoke(load_event("deployment_state_change")).record
    assert deployment["deploymentId"] == "ecs-svc/1234567890123456789"
    assert deployment["reason"] == "ECS deployment circuit breaker: task failed to start."


def test_unknown_detail_type_is_summarised_not_an_error() -> None:
    event = {
        "id": "e-1",
        "detail-type": "ECS Capacity Provider Event",
        "source": "aws.ecs",
        "resources": ["arn:aws:ecs:eu-west-1:111122223333:capacity-provider/spot"],
        "detail": {"anything": 1},
    }
    record = invoke(event).record
    assert record["level"] == "INFO"
    assert record["message"] == (
        "ECS Capacity Provider Event from aws.ecs (arn:aws:ecs:eu-west-1:111122223333:capacity-provider/spot)"
    )
    assert record["source"] == "aws.ecs"
    assert "oddities" not in record


def with_detail(name: str, **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(load_event(name))
    event["detail"].update(changes)
    return event


def test_timings_accept_timestamps_with_and_without_milliseconds() -> None:
    times = {
        "createdAt": "2024-05-14T09:00:00Z",
        "startedAt": "2024-05-14T09:00:12.250Z",
        "pullStartedAt": "2024-05-14T09:00:01.5Z",
        "pullStoppedAt": "2024-05-14T09:00:10Z",
        "stoppedAt": "2024-05-14T10:00:12.250+00:00",
    }
    running = invoke(with_detail("task_running", **times)).record
    stopped = invoke(with_detail("task_stopped_oom", **times)).record
    assert (running["startupSeconds"], running["pullSeconds"], stopped["runSeconds"]) == (12.25, 8.5, 3600.0)
    assert parse_timestamp("2024-05-14T09:00:00") == parse_timestamp("2024-05-14T09:00:00.000Z")


def test_time_running_backwards_is_noted_not_logged() -> None:
    record = invoke(with_detail("task_stopped_oom", stoppedAt="2024-05-14T08:00:00Z")).record
    assert "runSeconds" not in record
    assert record["oddities"] == ["detail.stoppedAt is before detail.startedAt"]
    assert record["level"] == "ERROR"  # oddities never hide an abnormal stop


def test_duplicates_and_late_versions_carry_what_a_query_needs() -> None:
    running = load_event("task_running")
    first, again = invoke(running).record, invoke(copy.deepcopy(running)).record
    assert (first["version"], first["eventId"]) == (again["version"], again["eventId"]) == (3, running["id"])
    assert again["duplicate"] is True and "duplicate" not in first
    late = with_detail("task_pending")  # version 2, delivered after version 3
    late_record = invoke(late).record
    assert late_record["version"] == 2 < first["version"]
    assert late_record["taskId"] == first["taskId"]
    assert late_record["eventTime"] < first["eventTime"]


SECRETS = (
    "postgres://app:hunter2-db-password@db.internal:5432/orders",
    "tok_live_9f8e7d6c5b4a3928",
)


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO, logging.WARNING])
def test_environment_override_values_never_reach_the_logs(level: int) -> None:
    event = load_event("task_overrides_with_secrets")
    result = invoke(event, level)
    everything = result.text + json.dumps(result.returned)
    for secret in SECRETS:
        assert secret not in everything
        assert secret in json.dumps(event)  # the sample really carries it


def test_debug_brings_back_the_whole_event_redacted() -> None:
    event = load_event("task_overrides_with_secrets")
    result = invoke(event, logging.DEBUG)
    assert [r["level"] for r in result.records] == ["INFO", "DEBUG"]
    dumped = result.records[1]["event"]
    override = dumped["detail"]["overrides"]["containerOverrides"][0]
    assert override["environment"] == [
        {"name": "DATABASE_URL", "value": "***redacted***"},
        {"name": "API_TOKEN", "value": "***redacted***"},
    ]
    assert dumped["detail"]["attachments"] == event["detail"]["attachments"]
    # The command stays readable; the value after a secret-named flag does not.
    assert event["detail"]["overrides"]["containerOverrides"][0]["command"][-1] == "s3cr3t-command-password"
    assert override["command"] == ["migrate", "--to", "latest", "--password", "***redacted***"]
    assert "s3cr3t-command-password" not in result.text


def test_info_logs_no_command_override_and_no_debug_record() -> None:
    result = invoke(load_event("task_overrides_with_secrets"), logging.INFO)
    assert len(result.lines) == 1
    assert "s3cr3t-command-password" not in result.text
    assert "--password" not in result.text


MALFORMED: dict[str, tuple[Any, str, list[str]]] = {
    "null event": (None, "WARNING", ["event is null, expected object"]),
    "list event": ([1, 2], "WARNING", ["event is array, expected object"]),
    "string event": ("ECS Task State Change", "WARNING", ["event is string, expected object"]),
    "empty object": ({}, "WARNING", ["event.detail-type is missing", "event.id is missing"]),
    "detail null": (
        {"id": "x", "detail-type": "ECS Task State Change", "detail": None},
        "WARNING",
        [
            "event.detail is missing",
            "detail.clusterArn is missing",
            "detail.taskArn is missing",
            "detail.lastStatus is missing",
        ],
    ),
    "detail list": (
        {"id": "x", "detail-type": "ECS Task State Change", "detail": []},
        "WARNING",
        [
            "event.detail is array, expected object",
            "detail.clusterArn is missing",
            "detail.taskArn is missing",
            "detail.lastStatus is missing",
        ],
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_events_get_one_warning_naming_what_was_odd(case: str) -> None:
    event, level, oddities = MALFORMED[case]
    record = invoke(event).record
    assert record["level"] == level
    assert record["oddities"] == oddities


@pytest.mark.parametrize(
    ("changes", "level", "oddity"),
    [
        ({"containers": []}, "ERROR", "detail.containers is empty"),
        ({"containers": "app"}, "ERROR", "detail.containers is string, expected array"),
        ({"containers": [None]}, "ERROR", "detail.containers[0] is null, expected object"),
        (
            {"containers": [{"name": "app", "lastStatus": "STOPPED", "exitCode": "oops"}]},
            "ERROR",
            "detail.containers[0].exitCode is string, expected integer",
        ),
        ({"version": "seven"}, "ERROR", "detail.version is string, expected integer"),
        ({"stopCode": 17}, "ERROR", "detail.stopCode is number, expected string"),
        ({"startedAt": "yesterday"}, "ERROR", "detail.startedAt is not a timestamp: 'yesterday'"),
        ({"lastStatus": None}, "ERROR", "detail.lastStatus is missing"),
    ],
)
def test_wrong_shapes_are_noted_and_the_rest_still_logged(changes: dict[str, Any], level: str, oddity: str) -> None:
    record = invoke(with_detail("task_stopped_oom", **changes)).record
    assert record["level"] == level
    assert oddity in record["oddities"]
    assert record["taskId"] == TASK_ID


def test_container_without_exit_code_after_essential_exit_is_abnormal() -> None:
    containers = [
        {"name": "app", "lastStatus": "STOPPED"},
        {"name": "log-router", "lastStatus": "STOPPED", "exitCode": 0},
    ]
    record = invoke(with_detail("task_stopped_essential_clean", containers=containers)).record
    assert (record["level"], record["abnormal"]) == ("ERROR", True)
    assert record["message"].endswith("EssentialContainerExited: app exited without exit code")


def test_numeric_exit_codes_as_strings_are_read() -> None:
    containers = [{"name": "app", "lastStatus": "STOPPED", "exitCode": "0"}]
    record = invoke(with_detail("task_stopped_essential_clean", containers=containers)).record
    assert record["containers"] == [{"name": "app", "exitCode": 0}]
    assert record["level"] == "INFO"


def test_container_failure_reason_while_running_is_a_warning_not_an_abnormal_stop() -> None:
    containers = [
        {"name": "app", "lastStatus": "RUNNING"},
        {"name": "xray", "lastStatus": "STOPPED", "exitCode": 137, "reason": "OutOfMemoryError: Container killed"},
    ]
    record = invoke(with_detail("task_running", containers=containers)).record
    assert (record["level"], record.get("abnormal")) == ("WARNING", None)
    assert record["message"].endswith(": xray exited 137 OutOfMemoryError")


def test_classification_reads_the_stopped_reason_when_containers_say_nothing() -> None:
    odd = Oddities()
    task = TaskState(
        {"lastStatus": "STOPPED", "stopCode": "UserInitiated", "stoppedReason": "ResourceInitializationError: x"}, odd
    )
    assert classify_task(task).abnormal


def test_returns_what_it_logged() -> None:
    result = invoke(load_event("task_stopped_oom"))
    record = result.record
    returned = result.returned
    assert returned["level"] == record["level"] == "ERROR"
    assert {k: v for k, v in returned.items() if k != "level"} == {
        k: v for k, v in record.items() if k not in ("level", "timestamp", "logger", "requestId")
    }


def test_a_bug_in_summarising_is_logged_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_event: Any, *_home: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(app, "summarise_event", broken)
    record = invoke(load_event("task_running")).record
    assert (record["level"], record["message"], record["oddities"]) == (
        "ERROR",
        "could not summarise event",
        ["internal error RuntimeError"],
    )


def test_a_pathologically_deep_event_is_still_summarised_at_debug() -> None:
    deep: Any = "bottom"
    for _ in range(5000):
        deep = [deep]
    event = {"id": "deep", "detail-type": "ECS Task State Change", "detail": {"overrides": deep}}
    result = invoke(event, logging.DEBUG)
    assert [r["message"] for r in result.records][-1] == "event too deeply nested to log whole"
    assert result.record["eventId"] == "deep"


def test_no_field_is_named_like_a_log_record_attribute() -> None:
    """emit() puts the fields straight onto the LogRecord (makeRecord's clash check costs CPU per event): a field
    named like one of the record's own attributes would overwrite it, so none may be."""
    reserved = STANDARD_ATTRIBUTES | {"aws_request_id", "tenant_id"}
    events: list[Any] = [load_event(name) for name in sample_names()]
    events += [{"detail-type": "Something Else", "source": "aws.other", "id": "1"}, "not an event", {}]
    written: set[str] = set()
    for event in events:
        for record in invoke(event, logging.DEBUG).records:
            written |= set(record) - {"timestamp", "level", "message", "logger", "requestId"}
    assert written and not written & reserved, written & reserved
    assert {"clusterArn", "taskId", "eventName", "oddities", "event"} <= written


@pytest.mark.parametrize(
    ("command", "redacted"),
    [
        (["migrate", "--password", "hunter2"], ["migrate", "--password", "***redacted***"]),
        (["--api-key", "-starts-with-a-dash"], ["--api-key", "***redacted***"]),
        (["--db-token", 1234], ["--db-token", "***redacted***"]),
        (["--password=hunter2", "--to=latest"], ["--password=***redacted***", "--to=latest"]),
        (["DB_PASSWORD=hunter2", "MODE=fast"], ["DB_PASSWORD=***redacted***", "MODE=fast"]),
        (["apiKey=k1", "client_secret=k2"], ["apiKey=***redacted***", "client_secret=***redacted***"]),
        (
            ["sh", "-c", "migrate --password 'a b' --to latest && GITHUB_TOKEN=ghp_x run --verbose"],
            ["sh", "-c", "migrate --password ***redacted*** --to latest && GITHUB_TOKEN=***redacted*** run --verbose"],
        ),
        ("psql --dbpass=-x-y host=db", "psql --dbpass=***redacted*** host=db"),
        (["run", "--user", "bob", "-v", "--passthrough", "x", "key=value"], None),  # nothing secret: unchanged
        ([["--secret", "nested"]], [["--secret", "***redacted***"]]),
    ],
)
def test_secret_values_in_command_overrides_are_redacted(command: Any, redacted: Any) -> None:
    assert redact_command(command) == (command if redacted is None else redacted)
    event = load_event("task_overrides_with_secrets")
    event["detail"]["overrides"]["containerOverrides"][0]["command"] = command
    logged = invoke(event, logging.DEBUG).records[1]["event"]
    assert logged["detail"]["overrides"]["containerOverrides"][0]["command"] == (redacted or command)


def test_redact_text_redacts_one_free_text_string() -> None:
    """The piece another redaction (of log lines) builds on: one string in, the same string out, secrets replaced."""
    assert redact_text("retrying with --password=hunter2 and TOKEN=abc") == (
        "retrying with --password=***redacted*** and TOKEN=***redacted***"
    )
    assert redact_text("exit 137 OutOfMemoryError") == "exit 137 OutOfMemoryError"
    assert is_secret_name("--Api-Key") and is_secret_name("DB_PASS") and not is_secret_name("--passthrough")
