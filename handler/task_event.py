"""Read the parts of an ``ECS Task State Change`` detail that a person on call needs."""

from __future__ import annotations

from .parse import Oddities, plain_text, read_int, read_list, read_text, read_texts, read_time, type_name

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing and dataclasses cost milliseconds at every cold start; plain classes do not
    from datetime import datetime
    from typing import Any

# The detail's text fields, in the order TaskState reads them; the task is unreadable without the required ones.
TEXT_FIELDS = (
    "clusterArn",
    "taskArn",
    "group",
    "taskDefinitionArn",
    "launchType",
    "capacityProviderName",
    "lastStatus",
    "desiredStatus",
    "stopCode",
    "stoppedReason",
)
REQUIRED_FIELDS = frozenset({"clusterArn", "taskArn", "lastStatus"})

# Tasks have at most ten containers; the cap only guards against junk input.
MAX_CONTAINERS = 20


class Container:
    __slots__ = ("exit_code", "last_status", "name", "reason")

    def __init__(self, name: str | None, last_status: str | None, exit_code: int | None, reason: str | None) -> None:
        self.name = name
        self.last_status = last_status
        self.exit_code = exit_code
        self.reason = reason

    @property
    def stopped(self) -> bool:
        return self.last_status == "STOPPED"

    def as_field(self, task_status: str | None) -> dict[str, Any]:
        """What the container says beyond the task: its status only where it differs from the task's."""
        entry: dict[str, Any] = {}
        if self.name is not None:
            entry["name"] = self.name
        if self.last_status is not None and self.last_status != task_status:
            entry["lastStatus"] = self.last_status
        if self.exit_code is not None:
            entry["exitCode"] = self.exit_code
        if self.reason is not None:
            entry["reason"] = self.reason
        return entry


class TaskState:
    """What one task event's detail says about the task; None where it did not say (noted in ``odd`` if odd)."""

    __slots__ = (
        "capacity_provider",
        "cluster_arn",
        "containers",
        "desired_status",
        "detail",
        "group",
        "last_status",
        "launch_type",
        "odd",
        "stop_code",
        "stopped_reason",
        "task_arn",
        "task_definition_arn",
        "task_id",
        "version",
    )

    def __init__(self, detail: dict[str, Any], odd: Oddities) -> None:
        (
            self.cluster_arn,
            self.task_arn,
            self.group,
            self.task_definition_arn,
            self.launch_type,
            self.capacity_provider,
            self.last_status,
            self.desired_status,
            self.stop_code,
            self.stopped_reason,
        ) = read_texts(detail, TEXT_FIELDS, REQUIRED_FIELDS, odd, where="detail")
        version = detail.get("version")
        self.version = version if version.__class__ is int else read_int(detail, "version", odd, where="detail")
        # The last part of the task ARN (old and new ARN formats alike).
        self.task_id = (self.task_arn.rsplit("/", 1)[-1] or None) if self.task_arn else None
        self.containers = _read_containers(detail, odd)
        # Timestamps are parsed when a record needs them (each duration is on one record of the task only).
        self.detail = detail
        self.odd = odd

    def time(self, key: str) -> datetime | None:
        """The detail's timestamp ``key`` ('startedAt'), or None (noting one that is not a timestamp)."""
        return read_time(self.detail, key, self.odd, where="detail")

    @property
    def task_definition(self) -> str | None:
        """'family:revision', the part of the task definition ARN people recognise."""
        if not self.task_definition_arn:
            return None
        return self.task_definition_arn.rsplit("/", 1)[-1] or None

    def arn_prefix(self) -> str | None:
        """'arn:aws:ecs:REGION:ACCOUNT', from the cluster ARN: what the task's other ARNs start with."""
        if not self.cluster_arn or ":cluster/" not in self.cluster_arn:
            return None
        return self.cluster_arn.split(":cluster/", 1)[0]

    def task_arn_if_not_implied(self) -> str | None:
        """The task ARN, unless clusterArn and taskId rebuild it: arn:...:task/<cluster name>/<task id>.

        Tasks from before the long ARN format (arn:...:task/<task id>, no cluster
        name) and odd events keep theirs.
        """
        if self.task_arn and self.cluster_arn and self.task_arn == implied_task_arn(self.cluster_arn, self.task_id):
            return None
        return self.task_arn

    def task_definition_arn_if_not_implied(self) -> str | None:
        """The task definition ARN, unless the cluster's region and account and 'family:revision' rebuild it."""
        prefix = self.arn_prefix()
        if prefix and self.task_definition_arn == f"{prefix}:task-definition/{self.task_definition}":
            return None
        return self.task_definition_arn


def implied_task_arn(cluster_arn: str, task_id: str | None) -> str | None:
    """The task ARN in the long format, from the cluster ARN and the task ID."""
    if not task_id or ":cluster/" not in cluster_arn:
        return None
    return f"{cluster_arn.replace(':cluster/', ':task/', 1)}/{task_id}"


def _read_containers(detail: dict[str, Any], odd: Oddities) -> list[Container]:
    if "containers" in detail and detail["containers"] == []:
        odd.note("detail.containers is empty")
    entries = read_list(detail, "containers", odd, where="detail")
    if len(entries) > MAX_CONTAINERS:
        odd.note(f"detail.containers has {len(entries)} entries; the first {MAX_CONTAINERS} are logged")
    containers = []
    for index, entry in enumerate(entries[:MAX_CONTAINERS]):
        if not isinstance(entry, dict):
            odd.note(f"detail.containers[{index}] is {type_name(entry)}, expected object")
            continue
        name, last_status, reason = (
            plain_text(entry, "name"),
            plain_text(entry, "lastStatus"),
            plain_text(entry, "reason"),
        )
        exit_code = entry.get("exitCode")
        if (
            name is None
            or (exit_code is not None and exit_code.__class__ is not int)
            or (last_status is None and "lastStatus" in entry)
            or (reason is None and "reason" in entry)
        ):  # something is missing or odd: the careful readers say what
            where = f"detail.containers[{index}]"
            name = read_text(entry, "name", odd, where=where, required=True)
            last_status = read_text(entry, "lastStatus", odd, where=where)
            exit_code = read_int(entry, "exitCode", odd, where=where)
            reason = read_text(entry, "reason", odd, where=where)
        containers.append(Container(name, last_status, exit_code, reason))
    return containers
