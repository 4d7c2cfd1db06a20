"""Read and check the stack's config (``pulumi config set KEY VALUE``) before anything is created.

Defaults come from ``EcsTaskEventLoggerArgs``, so they apply under the unit
tests' mocks too (the CLI applies ``Pulumi.yaml`` defaults, the mocks do not);
a test keeps ``Pulumi.yaml`` in step with this table.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

from . import notifications, validation
from .event_logger import EcsTaskEventLoggerArgs
from .event_pattern import split_patterns


class ConfigError(pulumi.RunError):
    """Bad stack config; the CLI prints the message alone, without a traceback."""


@dataclass(frozen=True)
class Setting:
    key: str  # the config key users set
    field: str  # the EcsTaskEventLoggerArgs field it feeds
    parse: Callable[[str], Any]  # raises ValueError naming the value
    example: str | Callable[[str], str]  # a valid value for the fix in error messages, or one made from the bad one


def _integer(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError(f"{raw!r} is not a whole number") from None


def _json_object(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a JSON object") from None


def _boolean(raw: str) -> bool:
    words = {"true": True, "false": False}
    if raw.strip().lower() in words:
        return words[raw.strip().lower()]
    raise ValueError(f"{raw!r} is not true or false")


# Every optional key; clusterArn, the one required key, is read on its own.
SETTINGS = (
    Setting(
        "logRetentionDays",
        "log_retention_days",
        lambda raw: validation.check_retention_days(_integer(raw)),
        lambda raw: str(validation.nearest_retention_days(raw)),
    ),
    Setting("logLevel", "log_level", validation.check_log_level, "INFO"),
    Setting("systemLogLevel", "system_log_level", validation.check_system_log_level, "WARN"),
    Setting("memorySizeMb", "memory_size_mb", lambda raw: validation.check_memory_mb(_integer(raw)), "128"),
    Setting("architecture", "architecture", validation.check_architecture, "arm64"),
    Setting("timeoutSeconds", "timeout_seconds", lambda raw: validation.check_timeout_seconds(_integer(raw)), "5"),
    Setting("tags", "tags", lambda raw: validation.check_tags(_json_object(raw)), '\'{"team": "platform"}\''),
    Setting("deadLetterQueues", "dead_letter_queues", _boolean, "true"),
    Setting(
        "deliveryRetryAttempts",
        "delivery_retry_attempts",
        lambda raw: validation.check_delivery_retry_attempts(_integer(raw)),
        "185",
    ),
    Setting(
        "deliveryMaxEventAgeSeconds",
        "delivery_max_event_age_seconds",
        lambda raw: validation.check_delivery_max_event_age(_integer(raw)),
        "86400",
    ),
    Setting(
        "functionRetryAttempts",
        "function_retry_attempts",
        lambda raw: validation.check_function_retry_attempts(_integer(raw)),
        "2",
    ),
    Setting(
        "functionMaxEventAgeSeconds",
        "function_max_event_age_seconds",
        lambda raw: validation.check_function_max_event_age(_integer(raw)),
        "21600",
    ),
    Setting("alarms", "alarms", _boolean, "true"),
    Setting("alarmTopicArn", "alarm_topic_arn", validation.check_alarm_topic_arn, "arn:aws:sns:REGION:ACCOUNT_ID:NAME"),
    Setting("alertEmail", "alert_email", validation.check_email, "oncall@example.com"),
    Setting("savedQueries", "saved_queries", _boolean, "true"),
    Setting("groupMetrics", "group_metrics", _boolean, "false"),
    Setting("dashboard", "dashboard", _boolean, "true"),
    Setting("serviceEvents", "service_events", _boolean, "true"),
    Setting("notifications", "notifications", _boolean, "true"),
    Setting(
        "notificationWindowMinutes",
        "notification_window_minutes",
        lambda raw: notifications.check_window_minutes(_integer(raw)),
        "10",
    ),
    Setting("slackWorkspaceId", "slack_workspace_id", notifications.check_slack_workspace_id, "T07EA123LEP"),
    Setting("slackChannelId", "slack_channel_id", notifications.check_slack_channel_id, "C07EZ1ABC23"),
)
CLUSTER_ARN_KEY = "clusterArn"
CLUSTER_ARNS_KEY = "clusterArns"
ALL_CLUSTERS_KEY = "allClusters"
CONFIG_KEYS = (CLUSTER_ARN_KEY, CLUSTER_ARNS_KEY, ALL_CLUSTERS_KEY, *(setting.key for setting in SETTINGS))


def stack_region(aws_config: pulumi.Config) -> str:
    """The region the AWS provider deploys to: aws:region, else the environment, else the provider's own answer."""
    region = aws_config.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return region or aws.get_region().region


class Problems:
    """Every bad key, one line each: ``project:KEY = value: what is wrong. Fix: the command that fixes it``."""

    def __init__(self, project: str) -> None:
        self.project = project
        self.lines: list[str] = []

    def add(self, key: str, raw: str | None, what: object, fix: str, *, first: bool = False) -> None:
        shown = "(not set)" if raw is None else repr(raw)
        self.lines.insert(0 if first else len(self.lines), f"{self.project}:{key} = {shown}: {what}. Fix: {fix}")


def read_logger_args(config: pulumi.Config, region: str) -> EcsTaskEventLoggerArgs:
    """The component's arguments from config; one ConfigError listing every bad key."""
    problems = Problems(config.name)
    _unknown_keys(config.name, problems)
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = config.get(setting.key)
        if raw is None:
            continue
        try:
            values[setting.field] = setting.parse(raw)
        except ValueError as error:
            example = setting.example(raw) if callable(setting.example) else setting.example
            problems.add(setting.key, raw, error, f"pulumi config set {setting.key} {example}")

    values.update(_read_clusters(config, region, problems))
    _combination_problems(config, values, region, problems)
    if problems.lines:
        listing = "\n".join(f"  - {text}" for text in problems.lines)
        raise ConfigError(f"invalid stack config, nothing was deployed:\n{listing}")
    args = EcsTaskEventLoggerArgs(**values)
    warn_about_other_accounts(args)
    return args


def _given_keys(project: str) -> dict[str, str]:
    """Every key of the project's namespace the stack sets: the CLI passes them all to the program."""
    given = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {full.split(":", 1)[1]: full for full in given if full.startswith(f"{project}:")}


def _unknown_keys(project: str, problems: Problems) -> None:
    """A misspelt key would be ignored and its default deployed without a word."""
    for key, full in sorted(_given_keys(project).items()):
        if key in CONFIG_KEYS:
            continue
        raw = "[secret]" if runtime_config.is_config_secret(full) else runtime_config.get_config(full)
        closest = closest_key(key)
        if closest:
            value = "VALUE" if raw == "[secret]" else shlex.quote(str(raw))
            problems.add(
                key,
                raw,
                f"this program has no setting {key!r}, so it would be ignored; did you mean {closest}?",
                f"pulumi config rm {key} && pulumi config set {closest} {value}",
            )
        else:
            problems.add(
                key,
                raw,
                f"this program has no setting {key!r}, so it would be ignored (the settings: README, 'Config')",
                f"pulumi config rm {key}",
            )


def closest_key(key: str) -> str | None:
    """The setting a mistyped key most likely meant: the same letters in another case, a key that contains it
    ('timeout' for timeoutSeconds), or a near spelling; None rather than a far-fetched guess."""
    known = {name.lower(): name for name in CONFIG_KEYS}
    if key.lower() in known:
        return known[key.lower()]
    containing = [name for lower, name in known.items() if len(key) >= 4 and key.lower() in lower]
    if len(containing) == 1:
        return containing[0]
    return next(iter(difflib.get_close_matches(key, CONFIG_KEYS, n=1, cutoff=0.75)), None)


def _combination_problems(config: pulumi.Config, values: dict[str, Any], region: str, problems: Problems) -> None:
    """Keys that are fine alone but not together, or not with this stack's region."""
    topic = values.get("alarm_topic_arn")
    if topic and topic.split(":")[3] != region:
        problems.add(
            "alarmTopicArn",
            topic,
            f"the topic is in {topic.split(':')[3]} but this stack deploys to {region}; the alarms notify topics "
            "of their own region",
            f"pulumi config set alarmTopicArn arn:aws:sns:{region}:ACCOUNT_ID:NAME",
        )
    alarms_on = values.get("alarms", True)
    if alarms_on and values.get("log_level") in validation.SILENCES_ABNORMAL_STOPS:
        problems.add(
            "logLevel",
            config.get("logLevel"),
            f"with {config.name}:alarms on, the abnormal-stop alarm counts the records logged at ERROR, and this "
            "level writes none, so it could never fire",
            "pulumi config set logLevel ERROR (or WARN, or INFO), or pulumi config set alarms false",
        )
    for key, field in (("notifications", "notifications"), ("slackChannelId", "slack_channel_id")):
        if values.get("alarms") is False and values.get(field):
            problems.add(
                key,
                config.get(key),
                f"{key} sends to the alarm topic, but {config.name}:alarms is false",
                f"pulumi config set alarms true, or pulumi config rm {key}",
            )
    if (values.get("slack_workspace_id") is None) != (values.get("slack_channel_id") is None):
        missing = "slackChannelId" if values.get("slack_workspace_id") else "slackWorkspaceId"
        problems.add(
            missing,
            None,
            "slackWorkspaceId and slackChannelId go together (the workspace, and the channel in it)",
            f"pulumi config set {missing} {'C07EZ1ABC23' if missing == 'slackChannelId' else 'T07EA123LEP'}",
        )
    if values.get("alarms") is False and (values.get("alert_email") or topic):
        key = "alertEmail" if values.get("alert_email") else "alarmTopicArn"
        problems.add(
            key,
            config.get(key),
            f"{key} is set but {config.name}:alarms is false, so nothing would be sent",
            f"pulumi config set alarms true, or pulumi config rm {key}",
        )


def _read_clusters(config: pulumi.Config, region: str, problems: Problems) -> dict[str, Any]:
    """Which clusters: exactly one of clusterArn, clusterArns, allClusters."""
    raw_arn, raw_arns, raw_all = (config.get(key) for key in (CLUSTER_ARN_KEY, CLUSTER_ARNS_KEY, ALL_CLUSTERS_KEY))
    example = f"arn:aws:ecs:{region}:ACCOUNT_ID:cluster/NAME"
    try:
        all_clusters = _boolean(raw_all) if raw_all is not None else False
    except ValueError as error:
        problems.add(ALL_CLUSTERS_KEY, raw_all, error, "pulumi config set allClusters true")
        return {}
    given = {CLUSTER_ARN_KEY: raw_arn, CLUSTER_ARNS_KEY: raw_arns, ALL_CLUSTERS_KEY: raw_all if all_clusters else None}
    chosen = [key for key, raw in given.items() if raw is not None]
    if len(chosen) > 1:
        drop = chosen[:-1]
        problems.add(
            chosen[0],
            given[chosen[0]],
            f"{' and '.join(chosen)} are set together; they are alternatives (one cluster, a list, or every cluster)",
            " && ".join(f"pulumi config rm {key}" for key in drop) + f", to keep only {chosen[-1]}",
        )
        return {}
    if not chosen:
        problems.add(
            CLUSTER_ARN_KEY,
            None,
            f"it is required: it names the ECS cluster whose task events are logged (or set {CLUSTER_ARNS_KEY} for "
            f"several, or {ALL_CLUSTERS_KEY} true for all); `aws ecs list-clusters --region {region}` lists yours",
            f"pulumi config set {CLUSTER_ARN_KEY} {example}",
            first=True,
        )
        return {}
    if all_clusters:
        partition, account = caller_account()
        return {"all_clusters_prefix": validation.cluster_arn_prefix(partition, region, account)}
    if raw_arn is not None:
        try:
            return {"cluster_arns": validation.check_cluster_arns([raw_arn], region)}
        except ValueError as error:
            fix = f"pulumi config set {CLUSTER_ARN_KEY} {_cluster_arn_example(region, raw_arn)}"
            problems.add(CLUSTER_ARN_KEY, raw_arn, error, fix)
            return {}
    assert raw_arns is not None
    return _read_cluster_list(raw_arns, region, problems)


def _cluster_arn_example(region: str, given: object) -> str:
    """A cluster ARN to put in a fix: with the name the user gave, when they gave a bare name."""
    name = given if isinstance(given, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,255}", given) else "NAME"
    return f"arn:aws:ecs:{region}:ACCOUNT_ID:cluster/{name}"


def _read_cluster_list(raw: str, region: str, problems: Problems) -> dict[str, Any]:
    key, example = CLUSTER_ARNS_KEY, f"arn:aws:ecs:{region}:ACCOUNT_ID:cluster/NAME"
    try:
        listed = json.loads(raw)
    except ValueError:
        listed = raw  # a plain string: `pulumi config set clusterArns arn:...` without --path
    if not isinstance(listed, list):
        entries = re.split(r"[\s,]+", listed.strip()) if isinstance(listed, str) and listed.strip() else [example]
        commands = [f"pulumi config rm {key}"]
        commands += [f"pulumi config set --path '{key}[{i}]' {entry}" for i, entry in enumerate(entries)]
        problems.add(key, raw, "clusterArns is a list, set one entry at a time with --path", " && ".join(commands))
        return {}
    try:
        arns = validation.check_cluster_arns(listed, region)
    except validation.ClusterListError as error:
        if error.remedy == "remove":
            # From the last, so that each index still names the same entry.
            fix = " && ".join(f"pulumi config rm --path '{key}[{i}]'" for i in sorted(error.indices, reverse=True))
        elif error.indices:
            index = error.indices[0]
            fix = f"pulumi config set --path '{key}[{index}]' {_cluster_arn_example(region, listed[index])}"
        else:
            fix = f"pulumi config set --path '{key}[0]' {example} (one index per cluster)"
        problems.add(key, raw, error, fix)
        return {}
    try:
        split_patterns(arns)
    except ValueError as error:
        problems.add(
            key,
            f"[{len(arns)} clusters]",
            error,
            f"pulumi config rm {key} && pulumi config set {ALL_CLUSTERS_KEY} true",
        )
        return {}
    return {"cluster_arns": arns}


def warn_about_other_accounts(args: EcsTaskEventLoggerArgs) -> None:
    """A cluster of another account is legitimate (its events may be forwarded here), but usually a copied
    placeholder: say so during preview, so a rule that never fires does not deploy without a word."""
    if not args.cluster_arns:
        return
    _, account = caller_account()
    others = sorted({arn.split(":")[4] for arn in args.cluster_arns} - {account})
    for other in others:
        pulumi.log.warn(
            f"the cluster ARNs name account {other}, but this stack deploys with the credentials of account "
            f"{account}: their task events reach account {other}'s event bus, not this one, so the rule only "
            f"fires if account {other} forwards them here. If that is not the plan, list your own clusters "
            "(`aws ecs list-clusters`) and set clusterArn to one of them."
        )


def caller_account() -> tuple[str, str]:
    """The partition and account the AWS provider deploys with (for allClusters' ARN prefix)."""
    identity = aws.get_caller_identity()
    return identity.arn.split(":")[1], identity.account_id
