"""Saved CloudWatch Logs Insights queries over the handler's records.

Each query names only fields the handler writes (a test checks it), so they
work on the log group as it is, with no parsing.
"""

from __future__ import annotations

TASK_ID_PLACEHOLDER = "PASTE_TASK_ID"

QUERIES: dict[str, str] = {
    # One task's life, in ECS's own order, each state once.
    "task-timeline": (
        "fields @timestamp, version, lastStatus, desiredStatus, stopCode, message\n"
        f'| filter taskId = "{TASK_ID_PLACEHOLDER}"\n'
        "| sort version asc\n"
        "| dedup version"
    ),
    # Every abnormal stop in the chosen time range, once per task, with why.
    "abnormal-stops": (
        "fields @timestamp, clusterArn, group, taskDefinition, taskId, stopCode, stoppedReason, containers.0.name, "
        "containers.0.exitCode, containers.0.reason, message\n"
        '| filter detailType = "ECS Task State Change" and level = "ERROR" and lastStatus = "STOPPED"\n'
        "| sort @timestamp desc\n"
        "| dedup taskId"
    ),
    # What stops tasks, per service (group), most frequent first.
    "stop-reasons-by-service": (
        'filter detailType = "ECS Task State Change" and lastStatus = "STOPPED"\n'
        "| stats count_distinct(taskId) as tasks by group, stopCode, stoppedReason\n"
        "| sort tasks desc"
    ),
    # Where the events come from: in organisation mode, per member account and region. A record names its account
    # and region only when they are not the logger's own (handler/origin.py), so a missing one is the logger's.
    # coalesce: CloudWatch Logs User Guide, "Boolean, comparison, numeric, datetime, and other functions".
    "events-by-account": (
        'fields coalesce(account, "logger\'s account") as fromAccount,'
        ' coalesce(region, "logger\'s region") as fromRegion\n'
        "| stats count(*) as events, count_distinct(taskId) as tasks by fromAccount, fromRegion\n"
        "| sort events desc"
    ),
    # Where starts are slow: start-up and image pull time per task.
    "slowest-starts": (
        'filter lastStatus = "RUNNING" and ispresent(startupSeconds)\n'
        "| stats max(startupSeconds) as startup, max(pullSeconds) as pull by taskId, group\n"
        "| sort startup desc\n"
        "| limit 25"
    ),
}
