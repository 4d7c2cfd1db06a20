"""The failed container's own logs in a message to on-call: which log groups, and (opt-in) its last lines.

``containerLogGroups`` names the log groups the services' containers write to, or prefixes of them. It costs no
permission: the message only links a Logs Insights query over those groups (handler/container_logs.py). Only
``containerLogLines`` lets the function read, and then only these groups (``read_policy``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

# CreateLogGroup (CloudWatch Logs API Reference): logGroupName, 1 to 512 characters of [\.\-_/#A-Za-z0-9]+.
LOG_GROUP_NAME = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
# The handler's environment variables (handler/container_logs.py reads the same names).
GROUPS_ENV = "CONTAINER_LOG_GROUPS"
LINES_ENV = "CONTAINER_LOG_LINES"
# What a message holds at most: the email body stays readable, and the chat text (Amazon Q Developer's custom
# notification) stays far under SNS's 256 KB message limit.
MAX_LINES = 50


def is_prefix(entry: str) -> bool:
    """'/ecs/' and '/ecs/orders-*' are prefixes; any other entry names one log group."""
    return entry.endswith(("/", "*"))


def check_container_log_groups(value: object) -> tuple[str, ...]:
    """Log group names, or prefixes ending in '/' or '*': 1 to 20 of them, each as CreateLogGroup takes names."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f'{value!r} is not a list of log group names or prefixes, e.g. ["/ecs/"]')
    if len(value) > 20:
        raise ValueError(f"{len(value)} log groups: give at most 20 names or prefixes (a prefix covers many)")
    checked = []
    for entry in value:
        name = entry[:-1] if isinstance(entry, str) and entry.endswith("*") else entry
        if not isinstance(name, str) or not LOG_GROUP_NAME.fullmatch(name):
            raise ValueError(
                f"{entry!r} is not a log group name or prefix: 1 to 512 letters, digits and . - _ / #, a prefix "
                'ending in / or * (e.g. "/ecs/")'
            )
        if entry not in checked:
            checked.append(entry)
    return tuple(checked)


def check_container_log_lines(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_LINES:
        raise ValueError(f"{value!r} lines: use 0 (off) to {MAX_LINES}")
    return value


def groups_variable(groups: Sequence[str]) -> str:
    """The handler's CONTAINER_LOG_GROUPS: the entries as JSON."""
    return json.dumps(list(groups), separators=(",", ":"))


def group_resources(log_group_arn_prefix: str, entries: Sequence[str]) -> list[str]:
    """The ARNs FilterLogEvents is authorised on for these entries: a name's group (with and without the ':*' that
    DescribeLogGroups shows on group ARNs), a prefix's groups by a trailing wildcard.

    ``log_group_arn_prefix`` is 'arn:PARTITION:logs:REGION:ACCOUNT:log-group:' (the stack's own account and region:
    the groups are read where the function runs).
    """
    resources: list[str] = []
    for entry in entries:
        if is_prefix(entry):
            resources.append(f"{log_group_arn_prefix}{entry.rstrip('*')}*")
        else:
            resources += [f"{log_group_arn_prefix}{entry}", f"{log_group_arn_prefix}{entry}:*"]
    return list(dict.fromkeys(resources))


def read_policy(own_log_group_arn: str, entries: Sequence[str]) -> str:
    """logs:FilterLogEvents on the named groups only: the one call the function makes to read a container's lines."""
    prefix = own_log_group_arn.split(":log-group:", 1)[0] + ":log-group:"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ReadNamedContainerLogGroups",
                    "Effect": "Allow",
                    "Action": "logs:FilterLogEvents",
                    "Resource": group_resources(prefix, entries),
                }
            ],
        }
    )
