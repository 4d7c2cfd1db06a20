"""Read the parts of an ``ECS Task State Change`` detail that a person on call needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .parse import Oddities, read_int, read_list, read_text, read_time, type_name

# Tasks have at most ten containers; the cap only guards against junk input.
MAX_CONTAINERS = 20


@dataclass(frozen=True)
class Container:
    name: str | None
    last_status: str | None
    exit_code: int | None
    reason: str | None

    @property
    def stopped(self) -> bool:
        return self.last_status == "STOPPED"

    def as_field(self) -> dict[str, Any]:
        entry = {
            "name": self.name,
            "lastStatus": self.last_status,
            "exitCode": self.exit_code,
            "reason": self.reason,
        }
        return {key: value for key, value in entry.items() if value is not None}


@dataclass(frozen=True)
class TaskState:
    cluster_arn: str | None = None
    task_arn: str | None = None
    group: str | None = None
    task_definition_arn: str | None = None
    launch_type: str | None = None
    capacity_provider: str | None = None
    last_status: str | None = None
    desired_status: str | None = None
    version: int | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    containers: list[Container] = field(default_factory=list)
    created_at: datetime | None = None
    pull_started_at: datetime | None = None
    pull_stopped_at: datetime | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def task_id(self) -> str | None:
        """The last part of the task ARN (old and new ARN formats alike)."""
        if not self.task_arn:
            return None
        return self.task_arn.rsplit("/", 1)[-1] or None

    @property
    def task_definition(self) -> str | None:
        """'family:revision', the part of the task definition ARN people recognise."""
        if not self.task_definition_arn:
            return None
        return self.task_definition_arn.rsplit("/", 1)[-1] or None

    @property
    def service(self) -> str | None:
        """The service name, for tasks a service started (group 'service:NAME')."""
        if self.group and self.group.startswith("service:"):
            return self.group[len("service:") :] or None
        return None


def read_task_state(detail: dict[str, Any], odd: Oddities) -> TaskState:
    where = "detail"
    return TaskState(
        cluster_arn=read_text(detail, "clusterArn", odd, where=where, required=True),
        task_arn=read_text(detail, "taskArn", odd, where=where, required=True),
        group=read_text(detail, "group", odd, where=where),
        task_definition_arn=read_text(detail, "taskDefinitionArn", odd, where=where),
        launch_type=read_text(detail, "launchType", odd, where=where),
        capacity_provider=read_text(detail, "capacityProviderName", odd, where=where),
        last_status=read_text(detail, "lastStatus", odd, where=where, required=True),
        desired_status=read_text(detail, "desiredStatus", odd, where=where),
        version=read_int(detail, "version", odd, where=where),
        stop_code=read_text(detail, "stopCode", odd, where=where),
        stopped_reason=read_text(detail, "stoppedReason", odd, where=where),
        containers=_read_containers(detail, odd),
        created_at=read_time(detail, "createdAt", odd, where=where),
        pull_started_at=read_time(detail, "pullStartedAt", odd, where=where),
        pull_stopped_at=read_time(detail, "pullStoppedAt", odd, where=where),
        started_at=read_time(detail, "startedAt", odd, where=where),
        stopped_at=read_time(detail, "stoppedAt", odd, where=where),
    )


def _read_containers(detail: dict[str, Any], odd: Oddities) -> list[Container]:
    if "containers" in detail and detail["containers"] == []:
        odd.note("detail.containers is empty")
    entries = read_list(detail, "containers", odd, where="detail")
    if len(entries) > MAX_CONTAINERS:
        odd.note(f"detail.containers has {len(entries)} entries; the first {MAX_CONTAINERS} are logged")
    containers = []
    for index, entry in enumerate(entries[:MAX_CONTAINERS]):
        where = f"detail.containers[{index}]"
        if not isinstance(entry, dict):
            odd.note(f"{where} is {type_name(entry)}, expected object")
            continue
        containers.append(
            Container(
                name=read_text(entry, "name", odd, where=where, required=True),
                last_status=read_text(entry, "lastStatus", odd, where=where),
                exit_code=read_int(entry, "exitCode", odd, where=where),
                reason=read_text(entry, "reason", odd, where=where),
            )
        )
    return containers
