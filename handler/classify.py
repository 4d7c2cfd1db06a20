"""Decide how loud a task event is: the on-call rules, in one place.

ERROR means "a task died or could not start and someone should look";
WARNING means "a warning sign" (Spot reclaimed it, a sidecar crashed, a task
ignored SIGTERM); INFO is the normal life of a task. docs/reading-the-logs.md lists the same
rules in prose; keep the two in step.

A stopping task sends several events (RUNNING with desired STOPPED,
DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED). Only the STOPPED one gets the
verdict ERROR and ``abnormal``, so that a metric counting abnormal stops counts
each task once; the earlier ones of a task headed that way are WARNINGs.
"""

from __future__ import annotations

import logging

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from .task_event import Container, TaskState

STOPPING_STATUSES = frozenset({"DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED", "DELETED"})

# Exit codes of a clean shutdown: 0, or 143 (128 + SIGTERM) when ECS asked
# the container to stop.
CLEAN_EXIT_CODES = frozenset({0, 143})

# Container or task reasons that name a failure, as ECS writes them
# ("CannotPullContainerError: ...", "OutOfMemoryError: Container killed ...").
FAILURE_REASONS = (
    "CannotPullContainerError",
    "CannotStartContainerError",
    "CannotCreateContainerError",
    "CannotInspectContainerError",
    "CannotStopContainerError",
    "ContainerRuntimeError",
    "ContainerRuntimeTimeoutError",
    "OutOfMemoryError",
    "ResourceInitializationError",
    "DockerTimeoutError",
    "InternalError",
)

KNOWN_STOP_CODES = frozenset(
    {
        "TaskFailedToStart",
        "EssentialContainerExited",
        "UserInitiated",
        "ServiceSchedulerInitiated",
        "SpotInterruption",
        "TerminationNotice",
        "InfrastructureHealth",
    }
)
SPOT_STOP_CODES = frozenset({"SpotInterruption", "TerminationNotice"})


class Verdict:
    __slots__ = ("abnormal", "level", "why")

    def __init__(self, level: int, abnormal: bool, why: str) -> None:
        self.level = level
        self.abnormal = abnormal
        self.why = why


def failure_reason(text: str | None) -> str | None:
    """The failure name a reason starts with ('OutOfMemoryError'), if it names one."""
    if not text or not text.startswith(FAILURE_REASONS):  # one call for the usual answer: none
        return None
    for name in FAILURE_REASONS:
        if text.startswith(name):
            return name
    return None


def is_stopping(task: TaskState) -> bool:
    return task.desired_status == "STOPPED" or task.last_status in STOPPING_STATUSES


def unclean_exit(container: Container) -> bool:
    """A stopped container that did not exit 0/143, or left no exit code at all."""
    return container.stopped and container.exit_code not in CLEAN_EXIT_CODES


def has_stopped(task: TaskState) -> bool:
    """The STOPPED record; also one that lost its lastStatus but has a stoppedAt (an oddity hides no stop)."""
    return task.last_status == "STOPPED" or (task.last_status is None and task.time("stoppedAt") is not None)


def classify_task(task: TaskState) -> Verdict:
    verdict = _classify(task)
    if verdict.abnormal and not has_stopped(task):
        return Verdict(logging.WARNING, False, f"{verdict.why}; the verdict comes with STOPPED")
    return verdict


def _classify(task: TaskState) -> Verdict:
    failed_containers = [c for c in task.containers if failure_reason(c.reason)]
    if not is_stopping(task):
        if failed_containers or any(c.stopped and c.exit_code not in (0, None) for c in task.containers):
            return Verdict(logging.WARNING, False, "a container stopped while the task runs")
        return Verdict(logging.INFO, False, "normal progress")

    code = task.stop_code
    if code == "TaskFailedToStart":
        return Verdict(logging.ERROR, True, "the task failed to start")
    if failed_containers or failure_reason(task.stopped_reason):
        return Verdict(logging.ERROR, True, "a container failed")
    if code in SPOT_STOP_CODES:
        return Verdict(logging.WARNING, False, "Spot capacity was reclaimed")
    if code == "InfrastructureHealth":
        return Verdict(logging.WARNING, False, "AWS replaced the task for infrastructure health")
    if code == "ServiceSchedulerInitiated" and "health check" in (task.stopped_reason or "").lower():
        return Verdict(logging.ERROR, True, "the task failed its health checks")
    if code in ("UserInitiated", "ServiceSchedulerInitiated"):
        # Containers that never started have no exit code; that is fine here.
        if any(c.stopped and c.exit_code is not None and c.exit_code not in CLEAN_EXIT_CODES for c in task.containers):
            return Verdict(logging.WARNING, False, "a container did not shut down cleanly")
        return Verdict(logging.INFO, False, "stopped on request")
    if code == "EssentialContainerExited" and not task.containers:
        return Verdict(logging.ERROR, True, "an essential container exited; its exit code is unknown")
    if code == "EssentialContainerExited" or code is None:
        if any(unclean_exit(c) for c in task.containers):
            return Verdict(logging.ERROR, True, "an essential container exited with an error")
        return Verdict(logging.INFO, False, "the task's work finished")
    return Verdict(logging.WARNING, False, f"unknown stop code {code}")
