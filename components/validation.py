"""What AWS accepts for each setting, checked before anything is created.

Each check returns the clean value or raises ``ValueError`` with a message
that names the value and says what would be accepted; callers add which
config key or argument it came from.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# The values CloudWatch Logs accepts for a log group's retention. 0 ("never
# expire") is refused on purpose: logs that live forever cost forever.
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Lambda's application log levels (advanced logging controls), most verbose first.
APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
LOG_LEVEL_ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL"}
# Levels that drop the ERROR records the abnormal-stop alarm counts.
SILENCES_ABNORMAL_STOPS = ("FATAL",)

ARCHITECTURES = ("arm64", "x86_64")
MEMORY_MB_RANGE = (128, 10240)
TIMEOUT_SECONDS_RANGE = (1, 900)

# arn:PARTITION:ecs:REGION:ACCOUNT:cluster/NAME; cluster names are 1-255 of [A-Za-z0-9_-].
CLUSTER_ARN = re.compile(
    r"arn:(?P<partition>aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):ecs:"
    r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):(?P<account>\d{12}):cluster/(?P<name>[A-Za-z0-9_-]{1,255})"
)
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")
CLUSTER_ARN_PREFIX = re.compile(
    r"arn:(?:aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):ecs:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:cluster/"
)
EXAMPLE_CLUSTER_ARN = "arn:aws:ecs:eu-west-1:111122223333:cluster/demo"
# The other ECS resource types an ARN may name, for telling a wrong ARN from a malformed one.
ECS_RESOURCE_TYPES = frozenset(
    {"task", "service", "container-instance", "task-definition", "task-set", "capacity-provider", "service-revision"}
)

# Tagging AWS resources ("Tag naming limits and requirements"): 50 tags, keys up to 128, values up to 256.
TAGS_MAX = 50
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256


@dataclass(frozen=True)
class ClusterArn:
    arn: str
    partition: str
    region: str
    account: str
    name: str


def parse_cluster_arn(value: object) -> ClusterArn:
    """An ECS cluster ARN, or a ValueError that says what the value looks like instead."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string; expected an ECS cluster ARN such as {EXAMPLE_CLUSTER_ARN}")
    if value != value.strip():
        raise ValueError(f"{value!r} has surrounding spaces; remove them")
    match = CLUSTER_ARN.fullmatch(value)
    if match:
        return ClusterArn(value, **match.groupdict())
    raise ValueError(f"{value!r} is not an ECS cluster ARN: {_what_it_is(value)}")


def _what_it_is(value: str) -> str:
    """A hint at the usual mistakes: a bare name, a task or service ARN, another service."""
    example = f"expected arn:aws:ecs:REGION:ACCOUNT_ID:cluster/NAME, e.g. {EXAMPLE_CLUSTER_ARN}"
    if not value:
        return f"it is empty; {example}"
    if not value.startswith("arn:"):
        return (
            f"it looks like a cluster name; use the full ARN ({example}), "
            "shown by `aws ecs describe-clusters --clusters NAME`"
        )
    parts = value.split(":", 5)
    if len(parts) < 6:
        return f"it has too few ':'-separated parts; {example}"
    _, _, service, region, account, resource = parts
    if service != "ecs":
        return f"it is an ARN of the '{service}' service, not ECS; {example}"
    if not REGION.fullmatch(region):
        return f"its region {region!r} is not a region name; {example}"
    if not re.fullmatch(r"\d{12}", account):
        return f"its account id {account!r} is not 12 digits; {example}"
    if "/" not in resource:
        return f"it is malformed: its resource part {resource!r} has no 'cluster/' before the cluster name; {example}"
    kind = resource.split("/", 1)[0]
    if kind != "cluster" and kind in ECS_RESOURCE_TYPES:
        return f"it is an ECS {kind} ARN, not a cluster ARN; {example}"
    if kind != "cluster":
        return f"it is malformed: its resource type {kind!r} is not 'cluster'; {example}"
    return f"its cluster name is not 1-255 letters, digits, '-' or '_'; {example}"


def nearest_retention_days(value: object) -> int:
    """The accepted retention closest to ``value`` (30, the default, when it is not a number)."""
    try:
        days = int(str(value).strip())
    except ValueError:
        return 30
    return min(RETENTION_DAYS, key=lambda accepted: (abs(accepted - days), accepted))


def check_retention_days(value: int) -> int:
    if value in RETENTION_DAYS:
        return value
    allowed = ", ".join(str(days) for days in RETENTION_DAYS)
    hint = "0 (never expire) is not allowed, logs that live forever cost forever; " if value == 0 else ""
    nearest = nearest_retention_days(value)
    raise ValueError(
        f"{value} days is not a retention CloudWatch Logs accepts; {hint}use one of {allowed} (nearest: {nearest})"
    )


def check_log_level(value: str, allowed: tuple[str, ...] = APPLICATION_LOG_LEVELS) -> str:
    """A Lambda log level; case and the Python names WARNING/CRITICAL are forgiven."""
    level = value.strip().upper() if isinstance(value, str) else ""
    level = LOG_LEVEL_ALIASES.get(level, level)
    if level in allowed:
        return level
    raise ValueError(f"{value!r} is not a log level Lambda accepts; use one of {', '.join(allowed)}")


def check_architecture(value: str) -> str:
    if value in ARCHITECTURES:
        return value
    raise ValueError(f"{value!r} is not a Lambda architecture; use arm64 (cheaper) or x86_64")


def check_memory_mb(value: int) -> int:
    low, high = MEMORY_MB_RANGE
    if low <= value <= high:
        return value
    raise ValueError(
        f"{value} MB is outside what Lambda accepts; use {low} to {high} (128 is plenty for this function)"
    )


def check_timeout_seconds(value: int) -> int:
    low, high = TIMEOUT_SECONDS_RANGE
    if low <= value <= high:
        return value
    raise ValueError(f"{value} seconds is outside what Lambda accepts; use {low} to {high}")


def check_tags(value: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError(f'{value!r} is not a map of tag names to values, e.g. {{"team": "platform"}}')
    if len(value) > TAGS_MAX:
        raise ValueError(f"{len(value)} tags are more than AWS takes on one resource; use at most {TAGS_MAX}")
    tags = {}
    for key, tag_value in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= TAG_KEY_MAX or key.lower().startswith("aws:"):
            raise ValueError(f"tag key {key!r} is not allowed; use 1-{TAG_KEY_MAX} characters not starting with 'aws:'")
        if not isinstance(tag_value, str) or len(tag_value) > TAG_VALUE_MAX:
            raise ValueError(f"tag {key!r} has value {tag_value!r}; use a string of at most {TAG_VALUE_MAX} characters")
        tags[key] = tag_value
    return tags


class ClusterListError(ValueError):
    """A bad cluster list, and which entries to change (``replace``) or take out (``remove``) to fix it."""

    def __init__(self, message: str, indices: tuple[int, ...] = (), remedy: str = "replace") -> None:
        super().__init__(message)
        self.indices = indices
        self.remedy = remedy


def check_cluster_arns(
    values: object, region: str | None = None, organization_regions: Sequence[str] = ()
) -> list[str]:
    """One or more cluster ARNs of one account and region (``region`` when given: a rule only sees its own).

    With ``organization_regions`` (organisation mode: the members forward their events to this stack's bus),
    clusters of any account, in those regions or ``region``."""
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise ClusterListError(f"{values!r} is not a list of ECS cluster ARNs")
    if not values:
        raise ClusterListError(f"no cluster ARN given; pass at least one, e.g. {EXAMPLE_CLUSTER_ARN}")
    arns = []
    for index, value in enumerate(values):
        try:
            arns.append(parse_cluster_arn(value))
        except ValueError as error:
            message = f"entry {index}: {error}" if len(values) > 1 else str(error)
            raise ClusterListError(message, (index,)) from None
    counts = Counter(arn.arn for arn in arns)
    duplicates = sorted(arn for arn, count in counts.items() if count > 1)
    if duplicates:
        repeats = tuple(i for i, arn in enumerate(arns) if arn.arn in [a.arn for a in arns[:i]])
        raise ClusterListError(
            f"{', '.join(duplicates)} is listed more than once "
            f"({'entries' if len(repeats) > 1 else 'entry'} {', '.join(map(str, repeats))} "
            f"{'repeat' if len(repeats) > 1 else 'repeats'} an earlier one); list each cluster once",
            repeats,
            "remove",
        )
    if organization_regions:
        covered = {*organization_regions, *([region] if region else [])}
        for index, arn in enumerate(arns):
            if arn.region not in covered:
                raise ClusterListError(
                    f"{arn.arn} is in region {arn.region}, which memberRegions does not list "
                    f"({', '.join(sorted(covered))}); add it to memberRegions or pick a cluster of those regions",
                    (index,),
                    "remove",
                )
        return [arn.arn for arn in arns]
    expected_region = region or arns[0].region
    for index, arn in enumerate(arns):
        if arn.region != expected_region:
            if region is None:
                raise ClusterListError(
                    f"{arn.arn} is in region {arn.region}, {arns[0].arn} in {expected_region}; one logger serves "
                    "one region (an EventBridge rule only sees its own): deploy a stack per region",
                    (index,),
                    "remove",
                )
            raise ClusterListError(
                f"{arn.arn} is in region {arn.region} but this stack deploys to {region}; an EventBridge "
                f"rule only sees events of its own region, so it would never fire. Deploy to {arn.region} "
                f"(`pulumi config set aws:region {arn.region}`) or pick a cluster in {region}",
                (index,),
                "remove",
            )
        if arn.account != arns[0].account:
            raise ClusterListError(
                f"{arn.arn} is in account {arn.account}, {arns[0].arn} in {arns[0].account}; list the clusters "
                "of one account (the one whose default event bus this stack's rule listens on)",
                (index,),
                "remove",
            )
    return [arn.arn for arn in arns]


def cluster_arn_prefix(partition: str, region: str, account: str) -> str:
    """The ARN prefix every cluster of one account and region shares, for matching all of them."""
    prefix = f"arn:{partition}:ecs:{region}:{account}:cluster/"
    if not CLUSTER_ARN_PREFIX.fullmatch(prefix):
        raise ValueError(f"{prefix!r} is not an ECS cluster ARN prefix (partition, region or account is off)")
    return prefix


def check_cluster_arn_prefix(value: str) -> str:
    if not isinstance(value, str) or not CLUSTER_ARN_PREFIX.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an ECS cluster ARN prefix with its account, "
            "e.g. arn:aws:ecs:eu-west-1:111122223333:cluster/"
        )
    return value


# What EventBridge and Lambda accept for retrying a delivery.
TARGET_RETRY_ATTEMPTS = (0, 185)
TARGET_EVENT_AGE_SECONDS = (60, 86400)
FUNCTION_RETRY_ATTEMPTS = (0, 2)
FUNCTION_EVENT_AGE_SECONDS = (60, 21600)

SNS_TOPIC_ARN = re.compile(
    r"arn:(?:aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):sns:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?"
)
# Deliberately simple: one @, a dot in the domain, no spaces. SNS sends a confirmation mail anyway.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_range(value: int, bounds: tuple[int, int], what: str) -> int:
    low, high = bounds
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    raise ValueError(f"{value!r} is outside what AWS accepts for {what}; use {low} to {high}")


def check_delivery_retry_attempts(value: int) -> int:
    return check_range(value, TARGET_RETRY_ATTEMPTS, "EventBridge retries")


def check_delivery_max_event_age(value: int) -> int:
    return check_range(value, TARGET_EVENT_AGE_SECONDS, "an EventBridge maximum event age")


def check_function_retry_attempts(value: int) -> int:
    return check_range(value, FUNCTION_RETRY_ATTEMPTS, "Lambda async retries")


def check_function_max_event_age(value: int) -> int:
    return check_range(value, FUNCTION_EVENT_AGE_SECONDS, "a Lambda maximum event age")


def check_system_log_level(value: str) -> str:
    return check_log_level(value, SYSTEM_LOG_LEVELS)


def check_sns_topic_arn(value: str) -> str:
    if isinstance(value, str) and SNS_TOPIC_ARN.fullmatch(value):
        return value
    raise ValueError(
        f"{value!r} is not an SNS topic ARN; expected arn:aws:sns:REGION:ACCOUNT_ID:NAME, "
        "as `aws sns list-topics` shows"
    )


def check_alarm_topic_arn(value: str) -> str:
    """A standard SNS topic: FIFO topics deliver to SQS queues only, so an email subscription fails and nobody
    would hear of an alarm (Amazon SNS Developer Guide, "Message delivery for FIFO topics")."""
    topic = check_sns_topic_arn(value)
    if topic.endswith(".fifo"):
        raise ValueError(
            f"{value!r} is a FIFO topic; FIFO topics deliver to SQS queues only, so email and chat subscriptions "
            "never receive the alarms. Use a standard topic (a name without .fifo)"
        )
    return topic


def check_email(value: str) -> str:
    if isinstance(value, str) and EMAIL.fullmatch(value):
        return value
    raise ValueError(f"{value!r} is not an email address, e.g. oncall@example.com")


def check_boolean(value: bool) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"{value!r} is not true or false")
