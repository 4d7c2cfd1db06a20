"""The component: an EventBridge rule for a cluster's task events and the Lambda that logs them.

No ``from __future__ import annotations`` here: Pulumi's analyzer
(``pulumi.provider.experimental``) reads the annotations of
``EcsTaskEventLoggerArgs`` and of ``EcsTaskEventLogger``'s outputs at runtime to
infer the package schema, and takes the descriptions from the docstrings under
each of them. That class is the one declaration of every setting: its name,
type, default, check (the field's ``check``) and description. The stack config,
``Pulumi.yaml``, the config table (docs/configuration.md) and ``provider/schema.json`` are
derived from it (``python -m components.generate``).

Values that decide which resources exist (the switches, the numbers, the log
levels, the tags) are plain: they are checked before anything is registered.
The ARNs and the email address may be outputs of other resources (a cluster
created in the same TypeScript program): plain ones are checked at once like
the rest, outputs when their value is known, and every child resource waits
for those checks, so a bad value fails the deployment before anything is
created (see docs/other-languages.md, "Use it from TypeScript, Go, C#, YAML").
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import Field, dataclass, field, fields, replace
from typing import Any, TypeVar, cast

import pulumi
import pulumi_aws as aws

from . import action_logs, alarms, container_logs, dashboard, delivery, organization, validation
from . import notifications as notification_parts
from . import routes as route_parts
from .event_pattern import all_clusters_pattern, organization_clusters_pattern, pattern_json, split_patterns
from .iam_policies import (
    MAX_RULE_NAME_CHARS,
    RULE_INDEX_DIGITS,
    RULE_NAME_SEPARATOR,
    function_policy,
    lambda_trust_policy,
    logger_rule_name,
    logger_rules_source_arn,
)
from .lambda_package import ENTRY_POINT, handler_archive
from .queries import QUERIES

RUNTIME = "python3.13"
# What one rule's 2,048-character pattern holds, with cluster names of 10 to 50 characters.
ONE_RULE = "about 10 to 15 clusters with serviceEvents (the default), 20 to 35 without"
# Pulumi autonames the function NAME-function-XXXXXXX (seven random hex digits) and the rules add '.NN' to that
# (iam_policies.logger_rule_name), within EventBridge's 64 characters for a rule name.
MAX_COMPONENT_NAME_CHARS = MAX_RULE_NAME_CHARS - len("-function-") - 7 - len(RULE_NAME_SEPARATOR) - RULE_INDEX_DIGITS
PACKAGE_NAME = "ecs-task-events"
COMPONENT_TYPE = f"{PACKAGE_NAME}:index:EcsTaskEventLogger"
T = TypeVar("T")
R = TypeVar("R")


def setting(
    default: Any = None,
    *,
    check: Callable[[Any], Any] | None,
    default_factory: Callable[[], Any] | None = None,
    example: str | Callable[[str], str] | None = None,
    default_text: str | None = None,
    config_note: str | None = None,
) -> Any:
    """A field of EcsTaskEventLoggerArgs with what the stack config and the docs need to know of it.

    ``check`` returns the clean value or raises ValueError; ``example`` is a valid stack-config value for the
    ``Fix:`` of an error message (the default when not given); ``default_text`` shows the default in the config table
    where the value alone would not say it; ``config_note`` adds what only the stack config needs to know.
    """
    metadata = {"check": check, "example": example, "default_text": default_text, "config_note": config_note}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class EcsTaskEventLoggerArgs:
    """Settings of one logger: which clusters (clusterArns or allClustersPrefix), and how to log, keep and alert.
    Every other setting has a production default."""

    cluster_arns: Sequence[pulumi.Input[str]] | None = setting((), check=None)
    (
        "ARNs of the ECS clusters whose task events are logged, e.g. "
        "arn:aws:ecs:eu-west-1:111122223333:cluster/demo, all of one account and of the region the logger deploys "
        "to (an EventBridge rule sees only its own region's events). Outputs of other resources are welcome (an "
        "aws.ecs.Cluster's arn); they are checked once known, and must then fit in one rule (about 10 to 15 "
        "clusters with serviceEvents, the default; 20 to 35 without). Past "
        "that, known ARNs are spread over several rules, at most 64. Give this or allClustersPrefix."
    )
    all_clusters_prefix: pulumi.Input[str] | None = setting(check=validation.check_cluster_arn_prefix)
    (
        "Log every cluster of one account and region, present and future: the ARN prefix they share, "
        "arn:aws:ecs:REGION:ACCOUNT_ID:cluster/. The rule matches that prefix, so it never sees another account's "
        "events. Instead of clusterArns."
    )
    log_retention_days: int | None = setting(
        30, check=validation.check_retention_days, example=lambda raw: str(validation.nearest_retention_days(raw))
    )
    (
        "Days CloudWatch Logs keeps the records: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, "
        '1096, 1827, 2192, 2557, 2922, 3288 or 3653. "Never expire" (0) is refused: logs that live forever cost '
        "forever. Default: 30."
    )
    log_level: str | None = setting("INFO", check=validation.check_log_level)
    (
        "The function's application log level: TRACE, DEBUG, INFO, WARN, ERROR or FATAL (WARNING and CRITICAL are "
        "accepted too). DEBUG adds each event whole, environment values and secret-named command arguments "
        "(--password x, DB_PASSWORD=x) redacted. WARN keeps only warnings and "
        "abnormal stops, ERROR only abnormal stops: both drop the INFO records, the normal life of every task, "
        "and with them the TaskStartupSeconds and ImagePullSeconds metrics and the slowest-starts query. FATAL "
        "writes nothing the function logs and is refused while alarms is on (the abnormal-stop alarm counts ERROR "
        "records). Default: INFO."
    )
    system_log_level: str | None = setting("WARN", check=validation.check_system_log_level)
    (
        "Lambda's own log lines: DEBUG, INFO or WARN. WARN keeps the START/END/REPORT lines out of the log group "
        "(they would cost more than the records); Lambda's metrics are unaffected. Default: WARN."
    )
    memory_size_mb: int | None = setting(128, check=validation.check_memory_mb)
    ("Lambda memory, 128 to 10240 MB; 128 is plenty. Default: 128.")
    architecture: str | None = setting("arm64", check=validation.check_architecture)
    ("Lambda architecture: arm64 (cheaper) or x86_64. Default: arm64.")
    timeout_seconds: int | None = setting(5, check=validation.check_timeout_seconds)
    (
        "Lambda timeout, 1 to 900 seconds; at least 4 with notifications (each AWS call gets its timeouts and a "
        "retry). Default: 5."
    )
    tags: Mapping[str, str] | None = setting(
        check=validation.check_tags,
        default_factory=dict,
        example='\'{"team": "platform"}\'',
        config_note="""As a JSON object: pulumi config set tags '{"team": "platform"}'. To tag everything the AWS
        provider creates, aws:defaultTags works too.""",
    )
    (
        'Tags for every taggable resource, e.g. {"team": "platform"}: keys of 1 to 128 characters not starting '
        "with aws:, values of at most 256. Default: none."
    )
    dead_letter_queues: bool | None = setting(True, check=validation.check_boolean)
    (
        "Keep what could not be delivered or handled in two encrypted SQS queues, 14 days: undelivered "
        "(EventBridge gave up delivering) and failed (the function failed even after Lambda's retries). Default: "
        "true."
    )
    delivery_retry_attempts: int | None = setting(185, check=validation.check_delivery_retry_attempts)
    ("EventBridge retries of a delivery to the function, 0 to 185. Default: 185.")
    delivery_max_event_age_seconds: int | None = setting(86400, check=validation.check_delivery_max_event_age)
    ("How long EventBridge keeps retrying, 60 to 86400 seconds. Default: 86400.")
    function_retry_attempts: int | None = setting(2, check=validation.check_function_retry_attempts)
    ("Lambda retries of a failed asynchronous invocation, 0 to 2. Default: 2.")
    function_max_event_age_seconds: int | None = setting(21600, check=validation.check_function_max_event_age)
    ("How long Lambda keeps an event waiting (throttled, for example), 60 to 21600 seconds. Default: 21600.")
    alarms: bool | None = setting(True, check=validation.check_boolean)
    (
        "Alarms on dead letters, function errors and throttles, and abnormal task stops "
        '(docs/alarms-and-messages.md, "Alarms: what each one means and what to do"), to a '
        "new SNS topic or to alarmTopicArn. Default: true."
    )
    alarm_topic_arn: pulumi.Input[str] | None = setting(
        check=validation.check_alarm_topic_arn,
        example="arn:aws:sns:REGION:ACCOUNT_ID:NAME",
        default_text="(none: a new topic)",
    )
    (
        "An existing SNS topic in the logger's region for the alarms instead of a new one, e.g. your on-call "
        "topic (an output of another resource is welcome). It must be a standard topic: a FIFO topic (….fifo) "
        "delivers to SQS queues only and is refused. If it is encrypted, its KMS key must be a customer managed "
        "key whose key policy lets cloudwatch.amazonaws.com use it: a topic encrypted with the AWS managed key "
        "aws/sns never receives CloudWatch alarm notifications, and nothing here can detect that before the first "
        "alarm."
    )
    alert_email: pulumi.Input[str] | None = setting(
        check=validation.check_email, example="oncall@example.com", default_text="(none)"
    )
    (
        "An email address to subscribe to the alarm topic; AWS mails it a confirmation link first. (Destroying "
        "the logger cannot delete a subscription nobody confirmed; SNS deletes it after 48 hours.) Needs alarms."
    )
    saved_queries: bool | None = setting(True, check=validation.check_boolean)
    (
        "Saved CloudWatch Logs Insights queries on the log group "
        '(docs/reading-the-logs.md, "Read the logs"). Default: true.'
    )
    group_metrics: bool | None = setting(
        check=validation.check_boolean, example="false", default_text="`auto`: `true`; `false` with `allClusters`"
    )
    (
        "Publish the shared metrics per service or task family (dimension Group) as well as per Cluster. "
        "CloudWatch Logs disables a metric filter that produces more than 1,000 distinct dimension name/value "
        "pairs in an hour, which every service of a large account can reach, so with every cluster of the account "
        "Group is left out unless this is true. The abnormal-stop alarm's own metric has no dimensions and is "
        "unaffected. Default: true with a cluster list, false with allClustersPrefix (allClusters in stack "
        "config)."
    )
    dashboard: bool | None = setting(True, check=validation.check_boolean)
    (
        "A CloudWatch dashboard of the fleet and of the logger "
        '(docs/alarms-and-messages.md, "Dashboard"), linked from dashboardUrl. '
        "Default: true."
    )
    service_events: bool | None = setting(True, check=validation.check_boolean)
    (
        "Also log the clusters' ECS Service Action and ECS Deployment State Change events. A deployment event's "
        "detail has no clusterArn, so the rule takes those by the service ARN in resources "
        "(arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/). Each cluster then takes about twice its share of a pattern. "
        "With clusterArn or clusterArns, the deployments of a service that still has a short ARN "
        "(arn:aws:ecs:REGION:ACCOUNT:service/NAME, services created before 2021) are not logged: nothing in such an "
        "event names its cluster (its service actions are logged). allClusters takes them; or give the service the "
        'long ARN, in place (Amazon ECS Developer Guide, "Migrate an Amazon ECS short service ARN to a long ARN") or '
        "by re-creating it with the account setting serviceLongArnFormat enabled. Default: true."
    )
    notifications: bool | None = setting(
        check=validation.check_boolean, example="true", default_text="`auto`: `true` when `alarms` is on"
    )
    (
        "One readable message to the alarm topic per abnormally stopped task, failed or rolling-back deployment, "
        "and service action that needs a person "
        '(docs/alarms-and-messages.md, "Messages to on-call"). Needs alarms. Default: true when '
        "alarms is on."
    )
    notification_window_minutes: int | None = setting(10, check=notification_parts.check_window_minutes)
    (
        "At most one message per service and kind (task failures, deployments, service actions) in this many "
        "minutes, 1 to 1440; the next one says how many were held back. Default: 10."
    )
    slack_workspace_id: str | None = setting(
        check=notification_parts.check_slack_workspace_id, example="T07EA123LEP", default_text="(none)"
    )
    (
        "With slackChannelId: the alarm topic's alarms and messages also go to that Slack channel, through Amazon Q "
        "Developer in chat applications. The workspace ID (T…) is shown in that console once Slack is authorised "
        '(a one-time console step: docs/alarms-and-messages.md, "Messages to on-call").'
    )
    slack_channel_id: str | None = setting(
        check=notification_parts.check_slack_channel_id, example="C07EZ1ABC23", default_text="(none)"
    )
    ("The Slack channel's ID (C…; in Slack, the channel's details). With slackWorkspaceId.")
    slack_channel_region: str | None = setting(
        check=notification_parts.check_chat_region,
        example="us-east-2",
        default_text="(the stack's region, or the nearest of the four)",
    )
    (
        "The Region of the Slack channel configuration: us-east-2, us-west-2, eu-west-1 or ap-southeast-1, the only "
        "Regions with an endpoint of Amazon Q Developer in chat applications. It subscribes to the logger's chat "
        "topic in the stack's region (a configuration may take topics of any Region the service supports). With "
        "slackWorkspaceId and slackChannelId. Default: the stack's region when it is one of the four, else "
        "eu-west-1 for Europe, the Middle East, Africa and Israel, ap-southeast-1 for Asia Pacific, us-west-2 for "
        "the US West, us-east-2 otherwise."
    )
    member_organizational_unit_ids: Sequence[str] | None = setting(
        (), check=organization.check_ou_ids, example="'[\"r-ab12\"]'"
    )
    (
        "Organisation mode: OU IDs (ou-…), or the organisation's root ID (r-…), whose accounts forward their ECS "
        "events to this stack's logger, through a StackSet with automatic deployment: an account that joins one "
        "later is covered without anyone acting, one that leaves stops forwarding. Deploy from a delegated "
        "administrator for StackSets "
        '(docs/organization.md, "One log for the whole organisation"). With memberRegions. Default: none (one '
        "account)."
    )
    member_regions: Sequence[str] | None = setting((), check=organization.check_regions, example="'[\"eu-west-1\"]'")
    (
        "Organisation mode: the regions whose clusters the member accounts forward, the stack's own among them. "
        "Default: none."
    )
    organization_id: str | None = setting(
        check=organization.check_organization_id, example="o-a1b2c3d4e5", default_text="(looked up)"
    )
    (
        "Organisation mode: the organisation's ID (o-…), which the central bus's policy admits alone. Left out, it "
        "is the stack's account's own, looked up with DescribeOrganization (any account of an organisation may call "
        "it, given organizations:DescribeOrganization); set it to pin the policy in the stack file, or where the "
        "deployer may not call it."
    )
    container_log_groups: Sequence[str] | None = setting(
        (), check=container_logs.check_container_log_groups, example="/ecs/"
    )
    (
        'The log groups the services\' containers write to (awslogs driver), by name or by prefix ("/ecs/" or '
        '"/ecs/*"; a prefix is completed with the task\'s family, as the ECS console names the groups it creates: '
        "/ecs/FAMILY), at most 20. Every message about an abnormally stopped task then links a Logs Insights query "
        "of that task's own streams in the 15 minutes before it stopped, in its region. Only a link: no "
        "permission, no AWS call. Needs notifications. Default: none."
    )
    container_log_lines: int | None = setting(0, check=container_logs.check_container_log_lines, example="5")
    (
        "With containerLogGroups: the message about an abnormally stopped task also holds the last lines (0 to 50) "
        "its containers wrote before it stopped, found by the task id in those groups, credentials redacted, cut "
        "to fit the email and chat texts. The function may then read those groups (logs:FilterLogEvents on them "
        "alone). A failed read costs the lines, never the message. 0 is off. Default: 0."
    )

    routes: Sequence[route_parts.RouteArgs] | None = setting(
        (),
        check=route_parts.check_routes,
        example=route_parts.fix_example,
        config_note="""As JSON text: pulumi config set routes '[{"services": ["payments-*"], "topicArn":
        "arn:aws:sns:eu-west-1:111122223333:payments-oncall"}]'.""",
    )
    (
        'Each team its own messages: a list of {"services": [...], "topicArn": "..."}. services are service names '
        "or family:NAME (tasks outside a service), * matching any characters; a message goes to the topic of the "
        "first route that matches its service, or else to the alarm topic. The topics must be standard topics in "
        "the logger's region (an encrypted one also needs its key to let the function's role use it); the function "
        "may publish to exactly these. At most one message per service and window, whichever route. A route may "
        'name its team\'s Slack channel ("slackChannelId": "C...", in slackWorkspaceId, which with slackChannelId '
        "it needs): the route's chat messages then go to that channel, through a chat topic and channel "
        "configuration of its own, instead of the stack's. Needs notifications. Default: none (every message to "
        "the alarm topic)."
    )
    action_logs: bool | None = setting(False, check=validation.check_boolean)
    (
        "Turn on ECS Action Logs for the logger's clusters: the steps ECS takes in a deployment (state "
        "transitions, rollbacks, lifecycle hooks), delivered by CloudWatch Logs into a log group of the logger's "
        "own with the same retention, at CloudWatch's vended-logs price. A delivery source names one cluster, so "
        "this needs clusterArn or clusterArns (not allClusters) of the stack's own account. The messages about a "
        "failed deployment or a placement failure then link that service's Action Logs around the event "
        '(docs/alarms-and-messages.md, "ECS Action Logs"). Default: false.'
    )

    def validated(self) -> "EcsTaskEventLoggerArgs":
        """A normalised copy, defaults filled in; raises ValueError naming the argument and the fix.

        Plain values are checked now. ARNs and the email address that are outputs of other resources come back as
        outputs that run the same check, with the same message, once their value is known.
        """
        given = {spec.name: getattr(self, spec.name) for spec in fields(self)}
        values = {name: default_of(spec) if given[name] is None else given[name] for name, spec in _FIELDS.items()}
        if values["alert_email"] is not None and not _plain("alarms", values["alarms"]):
            raise ValueError("EcsTaskEventLoggerArgs.alert_email: an alert email needs alarms=True")
        _check_organization_mode(values)
        prefix, arns = values["all_clusters_prefix"], values["cluster_arns"]
        if prefix is not None and (isinstance(arns, pulumi.Output) or arns):
            raise ValueError(
                "EcsTaskEventLoggerArgs: give cluster_arns or all_clusters_prefix, not both "
                "(the prefix already takes every cluster of the account and region)"
            )
        checked: dict[str, Any] = {}
        for name, spec in _FIELDS.items():
            value, check = values[name], spec.metadata["check"]
            if name == "cluster_arns":
                regions = tuple(values["member_regions"] or ())
                checked[name] = () if prefix is not None else _checked_clusters(value, regions)
            elif value is None or check is None:
                checked[name] = value
            elif accepts_outputs(spec):
                checked[name] = _checked_input(name, check, value)
            else:
                checked[name] = _checked(name, check, _plain(name, value))
        if checked["group_metrics"] is None:
            checked["group_metrics"] = prefix is None
        checked.update(notification_parts.resolved_settings(checked))
        if checked["routes"] and not checked["notifications"]:
            raise ValueError(
                "EcsTaskEventLoggerArgs.routes: routes decide where the messages to on-call go, so they need "
                "notifications=True (and alarms=True)"
            )
        if checked["container_log_lines"] and not checked["container_log_groups"]:
            raise ValueError(
                "EcsTaskEventLoggerArgs.container_log_lines: the lines are read from containerLogGroups; give "
                'container_log_groups (e.g. ["/ecs/"]) or container_log_lines=0'
            )
        if checked["container_log_groups"] and not checked["notifications"]:
            raise ValueError(
                "EcsTaskEventLoggerArgs.container_log_groups: the groups are linked from the messages to on-call, "
                "so they need notifications=True (and alarms=True)"
            )
        if checked["action_logs"]:
            _check_action_logs(checked)
        if checked["alarms"] and checked["log_level"] in validation.SILENCES_ABNORMAL_STOPS:
            raise ValueError(
                f"EcsTaskEventLoggerArgs.log_level: {checked['log_level']} writes no ERROR records, so the "
                "abnormal-stop alarm could never fire; use ERROR or a more verbose level, or alarms=False"
            )
        return replace(self, **checked)


_FIELDS: dict[str, Field[Any]] = {spec.name: spec for spec in fields(EcsTaskEventLoggerArgs)}


def _checked_clusters(arns: Any, organization_regions: tuple[str, ...] = ()) -> Any:
    """Plain ARNs checked now; a list with outputs of other resources is checked when known (event_patterns)."""
    if isinstance(arns, pulumi.Output) or any(isinstance(arn, pulumi.Output) for arn in arns):
        return arns
    return _checked(
        "cluster_arns",
        lambda known: validation.check_cluster_arns(known, organization_regions=organization_regions),
        arns,
    )


ORGANIZATION_FIELDS = ("member_organizational_unit_ids", "member_regions")


def _check_organization_mode(values: Mapping[str, Any]) -> None:
    """The OUs and the regions go together (either alone covers nothing); the organisation's ID, looked up when
    not given, only with them."""
    given = [name for name in ORGANIZATION_FIELDS if values[name]]
    if given and len(given) < len(ORGANIZATION_FIELDS):
        missing = [name for name in ORGANIZATION_FIELDS if name not in given]
        raise ValueError(
            f"EcsTaskEventLoggerArgs: organisation mode needs {', '.join(ORGANIZATION_FIELDS)} together; "
            f"{', '.join(given)} given without {', '.join(missing)}"
        )
    if values["organization_id"] and not given:
        raise ValueError(
            "EcsTaskEventLoggerArgs.organization_id: it is the organisation mode's; give "
            "member_organizational_unit_ids and member_regions too, or leave it out"
        )


def _check_action_logs(checked: Mapping[str, Any]) -> None:
    """A delivery source names one cluster of this account: the clusters must be named, and be this account's."""
    if checked["all_clusters_prefix"] is not None:
        raise ValueError(
            "EcsTaskEventLoggerArgs.action_logs: a delivery source names one cluster, so Action Logs cannot cover "
            "every cluster of the account, nor clusters created later; give cluster_arns instead of "
            "all_clusters_prefix, or action_logs=False"
        )
    if checked["member_organizational_unit_ids"]:
        raise ValueError(
            "EcsTaskEventLoggerArgs.action_logs: the member accounts' clusters can only be opted in from their own "
            "accounts (a delivery source is created in the cluster's account); use action_logs=False in "
            "organisation mode"
        )
    if isinstance(checked["cluster_arns"], pulumi.Output):
        raise ValueError(
            "EcsTaskEventLoggerArgs.action_logs: one delivery source is made per cluster, so the number of "
            "clusters must be known before deploying; give cluster_arns as a list (its items may be outputs)"
        )


def organization_mode(settings: "EcsTaskEventLoggerArgs") -> bool:
    return bool(settings.member_organizational_unit_ids)


def _checked(name: str, check: Callable[[T], R], value: T) -> R:
    try:
        return check(value)
    except ValueError as error:
        raise ValueError(f"EcsTaskEventLoggerArgs.{name}: {error}") from None


def _checked_input(name: str, check: Callable[[Any], R], value: Any) -> R | pulumi.Output[R]:
    """Checked now when plain; when an output of another resource, checked once its value is known."""
    if isinstance(value, pulumi.Output):
        return value.apply(lambda known: _checked(name, check, known))
    return _checked(name, check, value)


def _plain(name: str, value: Any) -> Any:
    if isinstance(value, pulumi.Output):
        raise ValueError(
            f"EcsTaskEventLoggerArgs.{name}: give a plain value, not an output of another resource: it decides "
            "which resources the logger creates, so it must be known before deploying"
        )
    return value


def default_of(spec: Field[Any]) -> Any:
    """A field's default, made afresh (None means the default, as a foreign-language program leaves it out)."""
    if callable(spec.default_factory):
        return spec.default_factory()
    return spec.default


def accepts_outputs(spec: Field[Any]) -> bool:
    """Whether the field's type (or its items') is a pulumi.Input: a value another resource may produce."""
    return "Output[T]" in str(spec.type)


def _single_pattern(cluster_arns: list[str], service_events: bool) -> str:
    """The pattern of clusters known only at deployment: their rules had to be planned before, as one."""
    patterns = _checked("cluster_arns", lambda arns: split_patterns(arns, service_events), cluster_arns)
    if len(patterns) > 1:
        raise ValueError(
            f"EcsTaskEventLoggerArgs.cluster_arns: {len(cluster_arns)} clusters need {len(patterns)} EventBridge "
            f"rules, but clusters given as outputs of other resources must fit in one rule ({ONE_RULE}): the "
            "number of rules is decided before their ARNs are known. Give the ARNs as plain strings, or log "
            "every cluster of the account with all_clusters_prefix"
        )
    return patterns[min(patterns)]


def event_patterns(settings: EcsTaskEventLoggerArgs) -> dict[int, pulumi.Input[str]]:
    """Rule index -> event pattern, for validated settings; patterns of outputs are outputs, checked when known."""
    prefix, service_events = settings.all_clusters_prefix, bool(settings.service_events)
    if prefix is not None and organization_mode(settings):
        # Every cluster of the covered accounts: the central bus only carries what the organisation puts on it.
        return {
            0: pulumi.Output.from_input(prefix).apply(
                lambda known: pattern_json(
                    organization_clusters_pattern(
                        sorted({*(settings.member_regions or ()), known.split(":")[3]}),
                        known.split(":")[1],
                        service_events,
                    )
                )
            )
        }
    if prefix is not None:
        return {
            0: pulumi.Output.from_input(prefix).apply(
                lambda known: pattern_json(all_clusters_pattern(known, service_events))
            )
        }
    arns = settings.cluster_arns
    if isinstance(arns, pulumi.Output) or any(isinstance(arn, pulumi.Output) for arn in arns or ()):
        checked = pulumi.Output.from_input(arns).apply(
            lambda known: _checked("cluster_arns", validation.check_cluster_arns, known)
        )
        return {0: checked.apply(lambda known: _single_pattern(known, service_events))}
    plain = cast(Sequence[str], arns or ())
    return dict(_checked("cluster_arns", lambda known: split_patterns(known, service_events), plain))


def _check_component_name(name: str) -> None:
    if len(name) > MAX_COMPONENT_NAME_CHARS:
        raise ValueError(
            f"EcsTaskEventLogger name {name!r} is {len(name)} characters; give one of at most "
            f"{MAX_COMPONENT_NAME_CHARS}: the rules are named after the function, which is named after it, "
            f"and EventBridge takes rule names of at most {MAX_RULE_NAME_CHARS}"
        )


def _set(value: T | None) -> T:
    """A setting validated() has filled in."""
    assert value is not None
    return value


def _wait_for(gate: pulumi.Output[Any]) -> pulumi.ResourceTransformation:
    """Makes a resource (the component and, inherited, every child) wait until the checks of the gate pass."""
    depends_on: pulumi.Output[list[pulumi.Resource]] = gate.apply(lambda _: [])

    def transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        return pulumi.ResourceTransformationResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(depends_on=depends_on))
        )

    return transformation


class EcsTaskEventLogger(pulumi.ComponentResource):
    """Logs every ECS task state change of the given clusters to CloudWatch Logs, and loses none."""

    function_name: pulumi.Output[str]
    """Name of the Lambda function that writes one record per task state change."""
    function_arn: pulumi.Output[str]
    """ARN of the function."""
    log_group_name: pulumi.Output[str]
    """The CloudWatch Logs log group the records go to."""
    rule_name: pulumi.Output[str]
    """Name of the EventBridge rule (the first rule's, when the clusters are split over several)."""
    rule_arn: pulumi.Output[str]
    """ARN of the first rule."""
    rule_names: pulumi.Output[list[str]]
    """Every rule's name: one, unless more clusters are listed than one pattern holds (clusterArns)."""
    rule_arns: pulumi.Output[list[str]]
    """Every rule's ARN."""
    role_arn: pulumi.Output[str]
    """The function's IAM role."""
    event_pattern: pulumi.Output[str]
    """The first rule's event pattern, as JSON."""
    tail_logs_command: pulumi.Output[str]
    """A ready-to-paste command that follows the records: aws logs tail GROUP --follow --region REGION."""
    dead_letter_queue_url: pulumi.Output[str] | None
    """The undelivered queue: events EventBridge could not deliver (with deadLetterQueues)."""
    failed_events_queue_url: pulumi.Output[str] | None
    """The failed queue: events the function failed on even after retries (with deadLetterQueues)."""
    alarm_topic_arn: pulumi.Output[str] | None
    """The SNS topic the alarms notify (with alarms)."""
    alarm_names: pulumi.Output[list[str]] | None
    """The CloudWatch alarms (with alarms)."""
    query_names: list[str] | None
    """The saved Logs Insights queries, under ecs-task-events/STACK-NAME/ (with savedQueries)."""
    log_group_url: pulumi.Output[str]
    """The log group in the CloudWatch console."""
    logs_insights_url: pulumi.Output[str]
    """Logs Insights on the log group, the abnormal-stops query loaded, over the last 24 hours."""
    dashboard_url: pulumi.Output[str] | None
    """The logger's CloudWatch dashboard (with dashboard)."""
    notification_table_name: pulumi.Output[str] | None
    """The DynamoDB table that keeps the messages to on-call single and unflooded (with notifications)."""
    slack_channel_configuration_arn: pulumi.Output[str] | None
    """The Slack channel configuration (with slackWorkspaceId and slackChannelId)."""
    action_log_group_name: pulumi.Output[str] | None
    """The log group the clusters' ECS Action Logs are delivered to (with actionLogs)."""

    def __init__(
        self,
        name: str,
        args: EcsTaskEventLoggerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if isinstance(args, Mapping):
            # From another language, through the package's provider: the inputs by Python name, absent when unset.
            args = EcsTaskEventLoggerArgs(**args)
        # Validate before registering anything, so bad input leaves nothing half-created. What can only be
        # checked once known (ARNs that are outputs of other resources) gates the component and every child.
        _check_component_name(name)
        settings = args.validated()
        patterns = event_patterns(settings)
        deferred = [
            value
            for value in (
                settings.all_clusters_prefix,
                settings.alarm_topic_arn,
                settings.alert_email,
                *patterns.values(),
            )
            if isinstance(value, pulumi.Output)
        ]
        if deferred:
            gate = pulumi.ResourceOptions(transformations=[_wait_for(pulumi.Output.all(*deferred))])
            opts = pulumi.ResourceOptions.merge(opts, gate)
        super().__init__(COMPONENT_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(_set(settings.tags))

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            retention_in_days=settings.log_retention_days,
            tags=tags,
            opts=child,
        )
        rule_dlq = failed_events = None
        if settings.dead_letter_queues:
            rule_dlq = delivery.dead_letter_queue(f"{name}-undelivered", tags, self)
            failed_events = delivery.dead_letter_queue(f"{name}-failed", tags, self)
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=lambda_trust_policy(),
            description="Runs the ecs-task-events logger; writes its log group, failed queue, alarm topic, table only.",
            tags=tags,
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-write-logs",
            role=role.id,
            policy=pulumi.Output.all(log_group.arn, failed_events.arn if failed_events else None).apply(
                lambda arns: function_policy(*arns)
            ),
            opts=child,
        )
        topic_arn = self._alarm_topic(name, settings, tags) if settings.alarms else None
        notify = None
        if settings.notifications and topic_arn is not None:
            notify = notification_parts.Notifications(
                name, settings, topic_arn=topic_arn, log_group=log_group, role=role, tags=tags, parent=self
            )
        extra_policies = self._message_policies(name, settings, notify, role, log_group)
        function = aws.lambda_.Function(
            f"{name}-function",
            description="Writes one concise log record per ECS task state change.",
            runtime=RUNTIME,
            handler=ENTRY_POINT,
            code=handler_archive(),
            role=role.arn,
            architectures=[_set(settings.architecture)],
            memory_size=settings.memory_size_mb,
            timeout=settings.timeout_seconds,
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=log_group.name,
                application_log_level=settings.log_level,
                system_log_level=settings.system_log_level,
            ),
            # The function learns the Action Logs group's name, for its links (made before it, so it exists).
            environment=self._environment(settings, notify, actions := self._action_logs(name, settings, tags)),
            tags=tags,
            # The role must be able to write logs (and send messages) before the first event arrives.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, *extra_policies]),
        )
        delivery.async_invoke_config(
            f"{name}-async",
            function,
            retry_attempts=_set(settings.function_retry_attempts),
            max_event_age_seconds=_set(settings.function_max_event_age_seconds),
            failed_events_queue=failed_events,
            parent=self,
        )
        rules, rules_source_arn = self._rules(
            name, patterns, function, role=role, dead_letters=(rule_dlq, failed_events), settings=settings, tags=tags
        )
        if rule_dlq is not None and failed_events is not None:
            delivery.allow_rules_to_send(f"{name}-undelivered-policy", rule_dlq, rules_source_arn, self)
            delivery.allow_role_to_send(f"{name}-failed-policy", failed_events, role, self)

        self.function_name = function.name
        self.function_arn = function.arn
        self.log_group_name = log_group.name
        self.rule_name = rules[0].name
        self.rule_arn = rules[0].arn
        self.rule_names = pulumi.Output.all(*(rule.name for rule in rules))
        self.rule_arns = pulumi.Output.all(*(rule.arn for rule in rules))
        self.role_arn = role.arn
        self.event_pattern = pulumi.Output.from_input(patterns[min(patterns)])
        self.tail_logs_command = pulumi.Output.all(log_group.name, log_group.arn).apply(
            lambda values: f"aws logs tail {values[0]} --follow --region {_region_of(values[1])}"
        )
        self.dead_letter_queue_url = rule_dlq.url if rule_dlq is not None else None
        self.failed_events_queue_url = failed_events.url if failed_events is not None else None
        self.alarm_topic_arn = self.alarm_names = None
        created_alarms = []
        if topic_arn is not None:
            created_alarms = self._alarms(
                name,
                settings,
                topic_arn,
                log_group,
                function,
                rule_dlq=rule_dlq,
                failed_events=failed_events,
                tags=tags,
                also_notify=notify.alarm_topic_arns if notify else [],
            )
        self.notification_table_name = notify.table.name if notify else None
        self.slack_channel_configuration_arn = notify.slack_channel_arn if notify else None
        self._views(
            name,
            settings,
            log_group,
            function,
            queues=(rule_dlq, failed_events),
            alarms=created_alarms,
            actions=actions,
        )
        self.register_outputs(self.stack_outputs())

    def _message_policies(
        self,
        name: str,
        settings: EcsTaskEventLoggerArgs,
        notify: notification_parts.Notifications | None,
        role: aws.iam.Role,
        log_group: aws.cloudwatch.LogGroup,
    ) -> list[aws.iam.RolePolicy]:
        """What the messages let the role do: the alarm topic and table, the routes' topics, the containers' logs."""
        if notify is None:
            return []
        return [
            notify.policy,
            *self._routes_policy(name, settings, role, notify),
            *self._container_logs_policy(name, settings, role, log_group),
        ]

    def _routes_policy(
        self,
        name: str,
        settings: EcsTaskEventLoggerArgs,
        role: aws.iam.Role,
        notify: notification_parts.Notifications,
    ) -> list[aws.iam.RolePolicy]:
        """Publish to the routes' topics and their channels' chat topics (the alarm topic is the notifications
        policy's)."""
        if not settings.routes:
            return []
        routes = settings.routes
        policy = pulumi.Output.all(*notify.route_chat_topic_arns.values()).apply(
            lambda chat_topics: route_parts.routes_policy(routes, chat_topics)
        )
        return [
            aws.iam.RolePolicy(f"{name}-routes", role=role.id, policy=policy, opts=pulumi.ResourceOptions(parent=self))
        ]

    def _container_logs_policy(
        self, name: str, settings: EcsTaskEventLoggerArgs, role: aws.iam.Role, log_group: aws.cloudwatch.LogGroup
    ) -> list[aws.iam.RolePolicy]:
        """Read the containers' named log groups, only with containerLogLines (the link alone needs nothing)."""
        groups = settings.container_log_groups
        if not settings.container_log_lines or not groups:
            return []
        policy = log_group.arn.apply(lambda arn: container_logs.read_policy(arn, groups))
        options = pulumi.ResourceOptions(parent=self)
        return [aws.iam.RolePolicy(f"{name}-read-container-logs", role=role.id, policy=policy, opts=options)]

    def _action_logs(
        self, name: str, settings: EcsTaskEventLoggerArgs, tags: Mapping[str, str]
    ) -> action_logs.ActionLogs | None:
        """ECS Action Logs of the logger's clusters, into a log group of its own (components/action_logs.py)."""
        self.action_log_group_name = None
        if not settings.action_logs:
            return None
        clusters = settings.cluster_arns or ()
        made = action_logs.create(name, clusters, retention_days=settings.log_retention_days, tags=tags, parent=self)
        self.action_log_group_name = made.log_group.name
        return made

    @staticmethod
    def _environment(
        settings: EcsTaskEventLoggerArgs,
        notify: notification_parts.Notifications | None,
        actions: action_logs.ActionLogs | None = None,
    ) -> aws.lambda_.FunctionEnvironmentArgs | None:
        """The messages' settings (notifications.py) and what the messages add: the containers' log groups, the
        Action Logs group (only a name for a link: no permission comes with it)."""
        if notify is None:
            return None
        variables: dict[str, pulumi.Input[str]] = dict(cast(Mapping[str, str], notify.environment.variables or {}))
        if settings.routes:
            routes, channels = settings.routes, list(notify.route_chat_topic_arns)
            variables[route_parts.ROUTES_ENV] = pulumi.Output.all(*notify.route_chat_topic_arns.values()).apply(
                lambda chat_topics: route_parts.routes_variable(routes, dict(zip(channels, chat_topics, strict=True)))
            )
        if settings.container_log_groups:
            variables[container_logs.GROUPS_ENV] = container_logs.groups_variable(settings.container_log_groups)
        if settings.container_log_lines:
            variables[container_logs.LINES_ENV] = str(settings.container_log_lines)
        if actions is not None:
            variables[action_logs.GROUP_ENV] = actions.log_group.name
        return aws.lambda_.FunctionEnvironmentArgs(variables=variables)

    def _views(
        self,
        name: str,
        settings: EcsTaskEventLoggerArgs,
        log_group: aws.cloudwatch.LogGroup,
        function: aws.lambda_.Function,
        *,
        queues: tuple[aws.sqs.Queue | None, aws.sqs.Queue | None],
        alarms: list[aws.cloudwatch.MetricAlarm],
        actions: action_logs.ActionLogs | None = None,
    ) -> None:
        """Where people look: the saved queries, the console links and the dashboard."""
        self.query_names = self._queries(name, log_group) if settings.saved_queries else None
        self.log_group_url, self.logs_insights_url = dashboard.console_links_of(log_group)
        self.dashboard_url = None
        if settings.dashboard:
            self.dashboard_url = dashboard.create(
                name,
                log_group=log_group,
                function=function,
                queues=queues,
                alarms=alarms,
                saved_query_names=self.query_names,
                action_log_group=actions.log_group if actions else None,
                settings=dashboard.settings_of(settings),
                parent=self,
            )

    def stack_outputs(self) -> dict[str, Any]:
        """The outputs a stack exports, by their camelCase names; the parts switched off have none."""
        outputs = {
            "functionName": self.function_name,
            "functionArn": self.function_arn,
            "logGroupName": self.log_group_name,
            "ruleName": self.rule_name,  # the first rule; ruleNames lists them all
            "ruleArn": self.rule_arn,
            "ruleNames": self.rule_names,
            "ruleArns": self.rule_arns,
            "roleArn": self.role_arn,
            "eventPattern": self.event_pattern,
            "tailLogsCommand": self.tail_logs_command,
            "logGroupUrl": self.log_group_url,
            "logsInsightsUrl": self.logs_insights_url,
            "deadLetterQueueUrl": self.dead_letter_queue_url,
            "failedEventsQueueUrl": self.failed_events_queue_url,
            "alarmTopicArn": self.alarm_topic_arn,
            "alarmNames": self.alarm_names,
            "queryNames": self.query_names,
            "dashboardUrl": self.dashboard_url,
            "notificationTableName": self.notification_table_name,
            "slackChannelConfigurationArn": self.slack_channel_configuration_arn,
            "actionLogGroupName": self.action_log_group_name,
        }
        return {key: value for key, value in outputs.items() if value is not None}

    def _rules(
        self,
        name: str,
        patterns: Mapping[int, pulumi.Input[str]],
        function: aws.lambda_.Function,
        *,
        role: aws.iam.Role,
        dead_letters: tuple[aws.sqs.Queue | None, aws.sqs.Queue | None],
        settings: EcsTaskEventLoggerArgs,
        tags: Mapping[str, str],
    ) -> tuple[list[aws.cloudwatch.EventRule], pulumi.Output[str]]:
        """The rules (on the central bus in organisation mode), and the ARN pattern that covers them all.
        ``dead_letters``: the rules' queue and the function's failed-events queue."""
        rule_dlq, failed_events = dead_letters
        central = self._central_side(name, settings, function, role=role, failed_events=failed_events, tags=tags)
        bus_name = central.bus.name if central else None
        rules_source_arn = pulumi.Output.all(function.arn, bus_name).apply(lambda at: logger_rules_source_arn(*at))
        permission = self._invoke_permission(name, function, rules_source_arn)
        rules = [
            self._rule(name, index, pattern, function, permission, rule_dlq=rule_dlq, settings=settings, bus=bus_name)
            for index, pattern in patterns.items()
        ]
        return rules, rules_source_arn

    def _central_side(
        self,
        name: str,
        settings: EcsTaskEventLoggerArgs,
        function: aws.lambda_.Function,
        *,
        role: aws.iam.Role,
        failed_events: aws.sqs.Queue | None,
        tags: Mapping[str, str],
    ) -> organization.CentralSide | None:
        """Organisation mode's central bus, member StackSet and failure topics; None for one account."""
        if not organization_mode(settings):
            return None
        self.central = organization.CentralSide(
            name,
            organization_id=settings.organization_id or organization.looked_up_organization_id(),
            organizational_unit_ids=_set(settings.member_organizational_unit_ids),
            regions=_set(settings.member_regions),
            template=organization.member_template(
                service_events=bool(settings.service_events),
                retry_attempts=_set(settings.delivery_retry_attempts),
                max_event_age_seconds=_set(settings.delivery_max_event_age_seconds),
            ),
            function=function,
            function_timeout_seconds=_set(settings.timeout_seconds),
            role=role,
            failed_events_queue=failed_events,
            # The function publishes to the alarm topic (and the chat topic) only with notifications.
            relay=bool(settings.notifications and settings.alarms),
            alert_email=settings.alert_email,
            tags=tags,
            parent=self,
        )
        return self.central

    def _invoke_permission(
        self, name: str, function: aws.lambda_.Function, rules_source_arn: pulumi.Output[str]
    ) -> aws.lambda_.Permission:
        """Every rule of this logger, and no other (iam_policies.logger_rules_source_arn), may invoke: one
        statement however many rules. The rules' ARNs name the account; a SourceAccount condition would stop
        EventBridge from invoking at all (see iam_policies.eventbridge_invoke_statement)."""
        return aws.lambda_.Permission(
            f"{name}-invoke",
            function=function.name,
            action="lambda:InvokeFunction",
            principal="events.amazonaws.com",
            source_arn=rules_source_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _rule(
        self,
        name: str,
        index: int,
        pattern: pulumi.Input[str],
        function: aws.lambda_.Function,
        permission: aws.lambda_.Permission,
        *,
        rule_dlq: aws.sqs.Queue | None,
        settings: EcsTaskEventLoggerArgs,
        bus: pulumi.Output[str] | None,
    ) -> aws.cloudwatch.EventRule:
        """One rule and its target, named after the function so that the one invoke permission covers it; rule 0
        keeps the resource names a single-rule stack had."""
        suffix = "" if index == 0 else f"-{index}"
        rule = aws.cloudwatch.EventRule(
            f"{name}-rule{suffix}",
            name=function.name.apply(lambda function_name: logger_rule_name(function_name, index)),
            description="ECS task state changes of the listed clusters, for the ecs-task-events logger.",
            event_bus_name=bus,
            event_pattern=pattern,
            state="ENABLED",
            tags=dict(_set(settings.tags)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target{suffix}",
            rule=rule.name,
            event_bus_name=bus,
            arn=function.arn,
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_retry_attempts=settings.delivery_retry_attempts,
                maximum_event_age_in_seconds=settings.delivery_max_event_age_seconds,
            ),
            dead_letter_config=(
                aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=rule_dlq.arn) if rule_dlq is not None else None
            ),
            # EventBridge may only deliver once it is allowed to invoke.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        return rule

    def _alarm_topic(self, name: str, settings: EcsTaskEventLoggerArgs, tags: Mapping[str, str]) -> pulumi.Output[str]:
        if settings.alarm_topic_arn:
            return pulumi.Output.from_input(settings.alarm_topic_arn)
        return aws.sns.Topic(f"{name}-alerts", tags=tags, opts=pulumi.ResourceOptions(parent=self)).arn

    def _alarms(
        self,
        name: str,
        settings: EcsTaskEventLoggerArgs,
        topic_arn: pulumi.Output[str],
        log_group: aws.cloudwatch.LogGroup,
        function: aws.lambda_.Function,
        *,
        rule_dlq: aws.sqs.Queue | None,
        failed_events: aws.sqs.Queue | None,
        tags: Mapping[str, str],
        also_notify: Sequence[pulumi.Output[str]],
    ) -> list[aws.cloudwatch.MetricAlarm]:
        if settings.alert_email:
            aws.sns.TopicSubscription(
                f"{name}-alert-email",
                topic=topic_arn,
                protocol="email",
                endpoint=settings.alert_email,
                opts=pulumi.ResourceOptions(parent=self),
            )
        alarms.metric_filters(name, log_group, self, group_metrics=bool(settings.group_metrics))
        specs = [*alarms.function_alarms(function), alarms.abnormal_stop_alarm(log_group)]
        if rule_dlq is not None and failed_events is not None:
            specs.append(
                alarms.queue_alarm("undelivered", "ECS events could not be delivered to the logger.", rule_dlq)
            )
            specs.append(
                alarms.queue_alarm("failed", "The logger failed on ECS events, even after retries.", failed_events)
            )
        created = [alarms.alarm(name, spec, [topic_arn, *also_notify], tags, self) for spec in specs]
        self.alarm_topic_arn = topic_arn
        self.alarm_names = pulumi.Output.all(*(alarm.name for alarm in created))
        return created

    def _queries(self, name: str, log_group: aws.cloudwatch.LogGroup) -> list[str]:
        folder = f"ecs-task-events/{pulumi.get_stack()}-{name}"
        for key, query in QUERIES.items():
            aws.cloudwatch.QueryDefinition(
                f"{name}-query-{key}",
                name=f"{folder}/{key}",
                query_string=query,
                log_group_names=[log_group.name],
                opts=pulumi.ResourceOptions(parent=self),
            )
        return [f"{folder}/{key}" for key in QUERIES]


def _region_of(arn: str) -> str:
    return arn.split(":")[3]
