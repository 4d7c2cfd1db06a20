"""Read and check the stack's config (``pulumi config set KEY VALUE``) before anything is created.

Defaults come from ``EcsTaskEventLoggerArgs``, so they apply under the unit
tests' mocks too (the CLI applies ``Pulumi.yaml`` defaults, the mocks do not);
a test keeps ``Pulumi.yaml`` in step with this table.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from . import validation
from .event_logger import EcsTaskEventLoggerArgs
from .event_pattern import split_patterns


class ConfigError(pulumi.RunError):
    """Bad stack config; the CLI prints the message alone, without a traceback."""


@dataclass(frozen=True)
class Setting:
    key: str  # the config key users set
    field: str  # the EcsTaskEventLoggerArgs field it feeds
    parse: Callable[[str], Any]  # raises ValueError naming the value
    example: str  # a valid value, for the fix in error messages


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
    Setting("logRetentionDays", "log_retention_days", lambda raw: validation.check_retention_days(_integer(raw)), "30"),
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
)
CLUSTER_ARN_KEY = "clusterArn"
CLUSTER_ARNS_KEY = "clusterArns"
ALL_CLUSTERS_KEY = "allClusters"
CONFIG_KEYS = (CLUSTER_ARN_KEY, CLUSTER_ARNS_KEY, ALL_CLUSTERS_KEY, *(setting.key for setting in SETTINGS))


def stack_region(aws_config: pulumi.Config) -> str:
    """The region the AWS provider deploys to: aws:region, else the environment, else the provider's own answer."""
    region = aws_config.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return region or aws.get_region().region


def read_logger_args(config: pulumi.Config, region: str) -> EcsTaskEventLoggerArgs:
    """The component's arguments from config; one ConfigError listing every bad key."""
    problems: list[str] = []

    def problem(key: str, raw: str, error: ValueError, example: str) -> None:
        problems.append(f"{config.name}:{key} = {raw!r}: {error}. Fix: pulumi config set {key} {example}")

    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = config.get(setting.key)
        if raw is None:
            continue
        try:
            values[setting.field] = setting.parse(raw)
        except ValueError as error:
            problem(setting.key, raw, error, setting.example)

    values.update(_read_clusters(config, region, problems))
    problems.extend(_combination_problems(config, values, region))
    if problems:
        listing = "\n".join(f"  - {text}" for text in problems)
        raise ConfigError(f"invalid stack config, nothing was deployed:\n{listing}")
    return EcsTaskEventLoggerArgs(**values)


def _combination_problems(config: pulumi.Config, values: dict[str, Any], region: str) -> list[str]:
    """Keys that are fine alone but not together, or not with this stack's region."""
    problems = []
    topic = values.get("alarm_topic_arn")
    if topic and topic.split(":")[3] != region:
        problems.append(
            f"{config.name}:alarmTopicArn = {topic!r}: the topic is in {topic.split(':')[3]} but this stack deploys "
            f"to {region}; CloudWatch alarms notify topics of their own region only. "
            f"Fix: pulumi config set alarmTopicArn arn:aws:sns:{region}:ACCOUNT_ID:NAME"
        )
    alarms_on = values.get("alarms", True)
    if alarms_on and values.get("log_level") in validation.SILENCES_ABNORMAL_STOPS:
        problems.append(
            f"{config.name}:logLevel = {values['log_level']!r} while {config.name}:alarms is on: the abnormal-stop "
            "alarm counts the records logged at ERROR, and this level writes none, so it could never fire. "
            "Fix: pulumi config set logLevel ERROR (or WARN, or INFO), or pulumi config set alarms false"
        )
    if values.get("alarms") is False and (values.get("alert_email") or topic):
        key = "alertEmail" if values.get("alert_email") else "alarmTopicArn"
        problems.append(
            f"{config.name}:{key} is set but {config.name}:alarms is false, so nothing would be sent. "
            f"Fix: pulumi config set alarms true, or pulumi config rm {key}"
        )
    return problems


def _read_clusters(config: pulumi.Config, region: str, problems: list[str]) -> dict[str, Any]:
    """Which clusters: exactly one of clusterArn, clusterArns, allClusters."""
    project = config.name
    raw_arn, raw_arns, raw_all = (config.get(key) for key in (CLUSTER_ARN_KEY, CLUSTER_ARNS_KEY, ALL_CLUSTERS_KEY))
    example = f"arn:aws:ecs:{region}:ACCOUNT_ID:cluster/NAME"
    try:
        all_clusters = _boolean(raw_all) if raw_all is not None else False
    except ValueError as error:
        problems.append(f"{project}:{ALL_CLUSTERS_KEY} = {raw_all!r}: {error}. Fix: pulumi config set allClusters true")
        return {}
    chosen = [key for key, given in ((CLUSTER_ARN_KEY, raw_arn), (CLUSTER_ARNS_KEY, raw_arns)) if given is not None]
    if all_clusters:
        chosen.append(ALL_CLUSTERS_KEY)
    if len(chosen) > 1:
        problems.append(
            f"{' and '.join(chosen)} are set together; they are alternatives (one cluster, a list, or every "
            f"cluster). Fix: pulumi config rm {chosen[0]}, to keep only {chosen[-1]}"
        )
        return {}
    if not chosen:
        problems.insert(
            0,
            f"{project}:{CLUSTER_ARN_KEY} is not set; it names the ECS cluster whose task events are logged "
            f"(or set {CLUSTER_ARNS_KEY} for several, or {ALL_CLUSTERS_KEY} true for all). "
            f"Fix: pulumi config set {CLUSTER_ARN_KEY} {example}",
        )
        return {}
    if all_clusters:
        partition, account = caller_account()
        return {"all_clusters_prefix": validation.cluster_arn_prefix(partition, region, account)}
    if raw_arn is not None:
        try:
            return {"cluster_arns": validation.check_cluster_arns([raw_arn], region)}
        except ValueError as error:
            bare_name = raw_arn if re.fullmatch(r"[A-Za-z0-9_-]{1,255}", raw_arn) else "NAME"
            fix = f"pulumi config set {CLUSTER_ARN_KEY} arn:aws:ecs:{region}:ACCOUNT_ID:cluster/{bare_name}"
            problems.append(f"{project}:{CLUSTER_ARN_KEY} = {raw_arn!r}: {error}. Fix: {fix}")
            return {}
    assert raw_arns is not None
    try:
        arns = validation.check_cluster_arns(json.loads(raw_arns), region)
    except ValueError as error:
        problems.append(
            f"{project}:{CLUSTER_ARNS_KEY} = {raw_arns!r}: {error}. "
            f"Fix: pulumi config set --path '{CLUSTER_ARNS_KEY}[0]' {example} (one index per cluster)"
        )
        return {}
    try:
        split_patterns(arns)
    except ValueError as error:
        problems.append(
            f"{project}:{CLUSTER_ARNS_KEY} lists {len(arns)} clusters: {error}. "
            f"Fix: pulumi config rm {CLUSTER_ARNS_KEY} && pulumi config set {ALL_CLUSTERS_KEY} true"
        )
        return {}
    return {"cluster_arns": arns}


def caller_account() -> tuple[str, str]:
    """The partition and account the AWS provider deploys with (for allClusters' ARN prefix)."""
    identity = aws.get_caller_identity()
    return identity.arn.split(":")[1], identity.account_id
