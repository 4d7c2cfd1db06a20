"""Read and check the stack's config (``pulumi config set KEY VALUE``) before anything is created.

The keys, their types, defaults and checks come from ``EcsTaskEventLoggerArgs``
(``SETTINGS`` is derived from it), so defaults apply under the unit tests'
mocks too (the CLI applies ``Pulumi.yaml`` defaults, the mocks do not);
``Pulumi.yaml``'s config block is generated from the same declaration
(``python -m components.generate``) and a test fails when it drifts.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

from . import notifications as notification_settings
from . import routes, validation
from .event_logger import EcsTaskEventLoggerArgs
from .event_pattern import split_patterns
from .iam_policies import sns_delivery_problem
from .settings import Declared, declared


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


def _json_list(raw: str) -> Any:
    try:
        listed = json.loads(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a JSON list") from None
    if not isinstance(listed, list):
        raise ValueError(f"{raw!r} is not a JSON list")
    return listed


def _boolean(raw: str) -> bool:
    words = {"true": True, "false": False}
    if raw.strip().lower() in words:
        return words[raw.strip().lower()]
    raise ValueError(f"{raw!r} is not true or false")


# How a stack-config string becomes a value of the field's type.
PARSERS: dict[type, Callable[[str], Any]] = {
    int: _integer,
    bool: _boolean,
    str: str,
    Mapping: _json_object,
    Sequence: _json_list,
}
# Keys of the stack config that are not fields of EcsTaskEventLoggerArgs: the clusters, read on their own.
CLUSTER_FIELDS = ("cluster_arns", "all_clusters_prefix")


def _parse(parse: Callable[[str], Any], check: Callable[[Any], Any] | None) -> Callable[[str], Any]:
    return parse if check is None else lambda raw: check(parse(raw))


def _example(setting: Declared) -> str | Callable[[str], str]:
    if setting.example is not None:
        return setting.example
    return str(setting.default).lower() if isinstance(setting.default, bool) else str(setting.default)


# Every optional key, derived from EcsTaskEventLoggerArgs (its declaration says name, type, default, check).
STACK_SETTINGS = tuple(setting for setting in declared() if setting.field not in CLUSTER_FIELDS)
SETTINGS = tuple(
    Setting(setting.key, setting.field, _parse(PARSERS[setting.type], setting.check), _example(setting))
    for setting in STACK_SETTINGS
)

# The type Pulumi.yaml declares for each kind of setting: the CLI checks stack values against it.
CONFIG_TYPES: Mapping[type, str] = {
    int: "integer",
    bool: "boolean",
    str: "string",
    Mapping: "string",
    Sequence: "array",
}
# The stack-config default of a setting with no default of its own (off, or decided by other settings). The Pulumi
# CLI refuses to run a stack that lacks any key Pulumi.yaml declares without a default (mergeConfig in pulumi/pulumi
# sdk/go/common/workspace/config.go), so each such key declares this value, and the program reads it as unset. A
# switch whose default depends on other settings cannot be a YAML boolean, so it is a string: auto, true or false.
UNSET: Mapping[type, str] = {str: "", bool: "auto"}


def declaration(setting: Declared) -> dict[str, Any]:
    """A setting's type and default in Pulumi.yaml's config block."""
    if setting.default is None:
        return {"type": "string", "default": UNSET[setting.type]}
    if setting.type is Sequence:
        # A list of names is a list in the stack file (`pulumi config set --path 'KEY[0]' VALUE`); the CLI's
        # config types have no object, so a list of objects is its JSON text, like tags.
        if setting.item is str:
            return {"type": "array", "items": {"type": "string"}, "default": list(setting.default)}
        return {"type": "string", "default": json.dumps(list(setting.default))}
    default = json.dumps(dict(setting.default)) if isinstance(setting.default, Mapping) else setting.default
    return {"type": CONFIG_TYPES[setting.type], "default": default}


def _unset_value(setting: Declared) -> str | None:
    return UNSET[setting.type] if setting.default is None else None


UNSET_VALUES = {setting.key: _unset_value(setting) for setting in STACK_SETTINGS}


@dataclass(frozen=True)
class StackKey:
    """A stack-config key of the stack program alone: the three ways to name the clusters."""

    key: str
    declaration: dict[str, Any]  # its type (and default) in Pulumi.yaml
    default_text: str
    description: str


CLUSTER_ARN_KEY = "clusterArn"
CLUSTER_ARNS_KEY = "clusterArns"
ALL_CLUSTERS_KEY = "allClusters"
STACK_KEYS = (
    StackKey(
        CLUSTER_ARN_KEY,
        {"type": "string", "default": ""},
        "(one of these three is required)",
        "ARN of the ECS cluster whose task events are logged: arn:aws:ecs:REGION:ACCOUNT_ID:cluster/NAME "
        "(aws ecs list-clusters --region REGION lists them). Must be in the stack's aws:region. Set this, "
        "clusterArns or allClusters (exactly one).",
    ),
    StackKey(
        CLUSTER_ARNS_KEY,
        {"type": "array", "items": {"type": "string"}, "default": []},
        "`[]`",
        "Several clusters of one account and region, as a list: pulumi config set --path 'clusterArns[0]' "
        "arn:aws:ecs:REGION:ACCOUNT_ID:cluster/a, then [1], and so on. An event pattern (2,048 characters) holds "
        "about 10 to 15 clusters with serviceEvents, 20 to 35 without, so past that the clusters are spread over "
        "several rules, each with its own target; a cluster's rule depends only on its ARN, so adding one changes "
        "only the rule it lands in. One invoke permission covers every rule (they are named after the function), "
        "so the function's 20 KB policy does not grow with them. At most 64 rules, about a fifth of the bus's "
        "default 300: with serviceEvents (the default) about 560 clusters with 10-character names, 390 with 30, "
        "330 with 40, 300 with 50; without, about 1,500, 990, 830 and 730. A longer list is refused with the fix: "
        "allClusters.",
    ),
    StackKey(
        ALL_CLUSTERS_KEY,
        {"type": "boolean", "default": False},
        "`false`",
        "true logs every cluster of the stack's account and region, present and future: the rule matches the "
        "cluster ARN prefix arn:aws:ecs:REGION:ACCOUNT_ID:cluster/, so it never sees another account's events on "
        "a shared bus.",
    ),
)
CONFIG_KEYS = (*(stack_key.key for stack_key in STACK_KEYS), *(setting.key for setting in SETTINGS))


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
        end = "" if str(what).endswith(("?", ".")) else "."
        self.lines.insert(0 if first else len(self.lines), f"{self.project}:{key} = {shown}: {what}{end} Fix: {fix}")


def read_logger_args(config: pulumi.Config, region: str) -> EcsTaskEventLoggerArgs:
    """The component's arguments from config; one ConfigError listing every bad key."""
    problems = Problems(config.name)
    _unknown_keys(config.name, problems)
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = config.get(setting.key)
        if raw is None or raw == UNSET_VALUES[setting.key]:
            continue
        try:
            values[setting.field] = setting.parse(raw)
        except ValueError as error:
            example = setting.example(raw) if callable(setting.example) else setting.example
            problems.add(setting.key, raw, error, _set_command(setting.key, example))

    values.update(_read_clusters(config, region, problems, tuple(values.get("member_regions") or ())))
    _combination_problems(config, values, region, problems)
    if problems.lines:
        listing = "\n".join(f"  - {text}" for text in problems.lines)
        raise ConfigError(f"invalid stack config, nothing was deployed:\n{listing}")
    args = EcsTaskEventLoggerArgs(**values)
    warn_about_other_accounts(args)
    return args


# The settings the stack file holds as lists of strings: set one entry at a time with --path.
LIST_KEYS = frozenset(
    setting.key for setting in STACK_SETTINGS if declaration(setting).get("items", {}).get("type") == "string"
)


def _set_command(key: str, example: str) -> str:
    """The command that sets ``key`` to ``example``: a list's first entry with --path, after removing the rest."""
    if key in LIST_KEYS:
        return f"pulumi config rm {key} && pulumi config set --path '{key}[0]' {example}"
    return f"pulumi config set {key} {example}"


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
                f"this program has no setting {key!r}, so it would be ignored (the settings: "
                "docs/configuration.md, 'Config')",
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


def _organization_problems(config: pulumi.Config, values: dict[str, Any], region: str, problems: Problems) -> None:
    """Organisation mode's keys: together, with the stack's region, and its forwarding alarms able to reach it."""
    regions = values.get("member_regions") or []
    organization_keys = {
        "memberOrganizationalUnitIds": (
            "member_organizational_unit_ids",
            "--path 'memberOrganizationalUnitIds[0]' r-ab12",
        ),
        "memberRegions": ("member_regions", f"--path 'memberRegions[0]' {region}"),
    }
    given = [key for key, (field, _) in organization_keys.items() if values.get(field)]
    for key, (_, example) in organization_keys.items():
        if given and key not in given:
            problems.add(
                key,
                None,
                f"organisation mode needs memberOrganizationalUnitIds and memberRegions together "
                f"({', '.join(given)} set)",
                f"pulumi config set {example}, or " + " && ".join(f"pulumi config rm {other}" for other in given),
            )
    if values.get("organization_id") and not given:
        problems.add(
            "organizationId",
            config.get("organizationId"),
            "it pins the organisation of organisation mode, which memberOrganizationalUnitIds and memberRegions "
            "turn on",
            "pulumi config rm organizationId, or pulumi config set --path 'memberOrganizationalUnitIds[0]' r-ab12",
        )
    if values.get("member_organizational_unit_ids") and regions and region not in regions:
        problems.add(
            "memberRegions",
            json.dumps(regions),
            f"the stack deploys to {region}, which memberRegions does not list: the central account's own clusters "
            "and the central bus are there",
            f"pulumi config set --path 'memberRegions[{len(regions)}]' {region}",
        )
    relaying = values.get("alarms", True) and values.get("notifications", values.get("alarms", True))
    if values.get("member_organizational_unit_ids") and relaying:
        for member_region in regions:
            problem = sns_delivery_problem(member_region, region)
            if problem:
                problems.add(
                    "memberRegions",
                    json.dumps(regions),
                    f"{problem}, so the forwarding failures of {member_region}'s members cannot reach on-call",
                    "deploy the stack in a Region enabled by default, or pulumi config set notifications false "
                    "(alertEmail then subscribes to each Region's failure topic itself)",
                )


def _combination_problems(config: pulumi.Config, values: dict[str, Any], region: str, problems: Problems) -> None:
    """Keys that are fine alone but not together, or not with this stack's region."""
    _organization_problems(config, values, region, problems)
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
    notifying = values.get("notifications", alarms_on) and alarms_on
    timeout = values.get("timeout_seconds", 5)
    if notifying and timeout < notification_settings.MIN_TIMEOUT_SECONDS:
        problems.add(
            "timeoutSeconds",
            config.get("timeoutSeconds"),
            f"{timeout} s is too short to send on-call messages (each AWS call gets its timeouts and a retry inside "
            f"the function's time); they need {notification_settings.MIN_TIMEOUT_SECONDS} s or more",
            "pulumi config set timeoutSeconds 5, or pulumi config set notifications false",
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
    if values.get("slack_channel_region") and values.get("slack_channel_id") is None:
        problems.add(
            "slackChannelRegion",
            config.get("slackChannelRegion"),
            "it places the Slack channel configuration, but no Slack channel is set (slackWorkspaceId and "
            "slackChannelId)",
            "pulumi config rm slackChannelRegion, or set slackWorkspaceId and slackChannelId",
        )
    if values.get("notifications") is False and values.get("slack_channel_id"):
        problems.add(
            "notifications",
            config.get("notifications"),
            "the Slack channel receives the messages to on-call and the alarms, and this turns the messages off",
            "pulumi config set notifications true, or pulumi config rm slackChannelId && pulumi config rm "
            "slackWorkspaceId",
        )
    elsewhere = sorted(routes.regions_of(values.get("routes") or ()) - {region})
    if elsewhere:
        problems.add(
            "routes",
            config.get("routes"),
            f"a route's topic is in {', '.join(elsewhere)} but this stack deploys to {region}; the function "
            "publishes to topics of its own region",
            f'pulumi config set routes \'[{{"services": ["NAME"], "topicArn": "arn:aws:sns:{region}:'
            "ACCOUNT_ID:NAME\"}]'",
        )
    team_channels = notification_settings.route_channels(values.get("routes") or ())
    if team_channels and values.get("slack_workspace_id") is None:
        problems.add(
            "routes",
            config.get("routes"),
            f"a route names the Slack channel {team_channels[0]}, which is in the stack's Slack workspace, and "
            "slackWorkspaceId is not set (nor slackChannelId, the channel of the messages no team's channel takes)",
            "pulumi config set slackWorkspaceId T07EA123LEP && pulumi config set slackChannelId C07EZ1ABC23 (yours), "
            "or remove slackChannelId from the routes",
        )
    if values.get("routes") and not values.get("notifications", values.get("alarms", True)):
        problems.add(
            "routes",
            config.get("routes"),
            "routes decide where the messages to on-call go, but notifications are off",
            "pulumi config set notifications true, or pulumi config rm routes",
        )
    if values.get("container_log_lines") and not values.get("container_log_groups"):
        problems.add(
            "containerLogLines",
            config.get("containerLogLines"),
            "the lines are read from the log groups named by containerLogGroups, and it is not set",
            "pulumi config set --path 'containerLogGroups[0]' /ecs/ (the groups your containers log to), or "
            "pulumi config set containerLogLines 0",
        )
    if values.get("container_log_groups") and not values.get("notifications", values.get("alarms", True)):
        problems.add(
            "containerLogGroups",
            config.get("containerLogGroups"),
            "containerLogGroups adds a link to the messages to on-call, but notifications are off",
            "pulumi config set notifications true, or pulumi config rm containerLogGroups",
        )
    if values.get("action_logs"):
        _action_logs_problems(config, values, region, problems)
    if values.get("alarms") is False and (values.get("alert_email") or topic):
        key = "alertEmail" if values.get("alert_email") else "alarmTopicArn"
        problems.add(
            key,
            config.get(key),
            f"{key} is set but {config.name}:alarms is false, so nothing would be sent",
            f"pulumi config set alarms true, or pulumi config rm {key}",
        )


def _action_logs_problems(config: pulumi.Config, values: dict[str, Any], region: str, problems: Problems) -> None:
    """A delivery source names one cluster, in the account that deploys it (components/action_logs.py)."""
    raw = config.get("actionLogs")
    if values.get("all_clusters_prefix") is not None:
        problems.add(
            "actionLogs",
            raw,
            "with allClusters there is no cluster to name, and a delivery source names one cluster (ECS Action Logs "
            "cannot be turned on for every cluster of the account, nor for clusters created later)",
            "pulumi config set actionLogs false, or name the clusters: pulumi config rm allClusters && pulumi config "
            f"set --path 'clusterArns[0]' arn:aws:ecs:{region}:ACCOUNT_ID:cluster/NAME",
        )
        return
    if values.get("member_organizational_unit_ids"):
        problems.add(
            "actionLogs",
            raw,
            "in organisation mode the member accounts' clusters can only be opted in from their own accounts",
            "pulumi config set actionLogs false",
        )
        return
    _, account = caller_account()
    others = sorted({str(arn).split(":")[4] for arn in values.get("cluster_arns") or ()} - {account})
    if others:
        problems.add(
            "actionLogs",
            raw,
            f"the clusters of account {', '.join(others)} can only be opted in from that account (a delivery source "
            f"is created in the cluster's account, and this stack deploys to {account})",
            "pulumi config set actionLogs false, or list only this account's clusters in clusterArns",
        )


def _read_clusters(
    config: pulumi.Config, region: str, problems: Problems, organization_regions: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Which clusters: exactly one of clusterArn, clusterArns, allClusters."""
    raw_arn, raw_arns, raw_all = (config.get(key) for key in (CLUSTER_ARN_KEY, CLUSTER_ARNS_KEY, ALL_CLUSTERS_KEY))
    # Pulumi.yaml's defaults, which the CLI sets on every stack, mean "not chosen".
    raw_arn = raw_arn or None
    raw_arns = None if raw_arns is not None and raw_arns.strip() in ("", "[]") else raw_arns
    example = _cluster_arn_example(region, None)
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
    return _read_cluster_list(raw_arns, region, problems, organization_regions)


def _cluster_arn_example(region: str, given: object) -> str:
    """A cluster ARN to put in a fix: with the name the user gave, when they gave a bare name."""
    name = given if isinstance(given, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,255}", given) else "NAME"
    return f"arn:aws:ecs:{region}:ACCOUNT_ID:cluster/{name}"


def _read_cluster_list(
    raw: str, region: str, problems: Problems, organization_regions: tuple[str, ...] = ()
) -> dict[str, Any]:
    key, example = CLUSTER_ARNS_KEY, _cluster_arn_example(region, None)
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
        arns = validation.check_cluster_arns(listed, region, organization_regions)
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
    if not args.cluster_arns or args.member_organizational_unit_ids:
        return  # organisation mode: other accounts' clusters are the point
    _, account = caller_account()
    others = sorted({str(arn).split(":")[4] for arn in args.cluster_arns} - {account})
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
