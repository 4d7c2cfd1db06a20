"""The organisation the ``--organization`` rehearsal plays: its accounts, its OUs, and a morning of their events.

An organisation of a tooling account that holds the logger (the StackSets delegated administrator) and two team
accounts, in two OUs; the logger covers both OUs in eu-west-1 and us-east-1. A fourth account, outside the
organisation, tries to put an event on the central bus. The events are the real-shaped samples of tests/events,
moved into each account, region and cluster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .pulumi_cli import StackValue
from .sequence import sample

PROJECT = "ecs-task-events"
ORGANIZATION_ID = "o-7k2m9x4q1z"
HOME_REGION = "eu-west-1"
MEMBER_REGIONS = ("eu-west-1", "us-east-1")
PLATFORM_OU = "ou-7k2m-9d3b6e1a"
WORKLOADS_OU = "ou-7k2m-4f8a2c9e"
CENTRAL_ACCOUNT = "111122223333"  # the tooling account: the logger, and the StackSets delegated administrator
PAYMENTS_ACCOUNT = "444455556666"
SEARCH_ACCOUNT = "777788889999"
OUTSIDE_ACCOUNT = "999900001111"  # in no organisation
SAMPLE_ACCOUNT, SAMPLE_REGION = "111122223333", "eu-west-1"  # where tests/events' samples come from


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    organizational_unit: str | None  # None: not in the organisation


ACCOUNTS = (
    Account(CENTRAL_ACCOUNT, "tooling", PLATFORM_OU),
    Account(PAYMENTS_ACCOUNT, "payments-prod", WORKLOADS_OU),
    Account(SEARCH_ACCOUNT, "search-prod", WORKLOADS_OU),
    Account(OUTSIDE_ACCOUNT, "a stranger's account", None),
)


def organization_of(account: str) -> str | None:
    """The organisation an account belongs to, as aws:PrincipalOrgID would say; None outside it."""
    found = next((known for known in ACCOUNTS if known.id == account), None)
    return ORGANIZATION_ID if found and found.organizational_unit else None


def organization_config() -> dict[str, StackValue]:
    """The central stack's config, as its stack file would hold it."""
    return {
        "aws:region": HOME_REGION,
        f"{PROJECT}:memberOrganizationalUnitIds": [PLATFORM_OU, WORKLOADS_OU],
        f"{PROJECT}:memberRegions": list(MEMBER_REGIONS),
        f"{PROJECT}:organizationId": ORGANIZATION_ID,
        f"{PROJECT}:allClusters": "true",
        f"{PROJECT}:alertEmail": "oncall@example.com",
        f"{PROJECT}:logRetentionDays": "30",
    }


def covered_accounts(organizational_units: list[str]) -> list[str]:
    """The accounts StackSets deploys the member stack to: every account of the target OUs."""
    return [account.id for account in ACCOUNTS if account.organizational_unit in organizational_units]


@dataclass(frozen=True)
class OrgEvent:
    label: str
    account: str
    region: str
    event: dict[str, Any]
    breaks_forwarding: bool = False  # the member's forward role loses its permission first


def moved(name: str, account: str, region: str, cluster: str, event_id: str) -> dict[str, Any]:
    """A sample event as ECS would send it in ``account`` and ``region``, of the cluster ``cluster``."""
    text = json.dumps(sample(name)).replace(SAMPLE_ACCOUNT, account).replace(SAMPLE_REGION, region)
    event: dict[str, Any] = json.loads(text.replace("cluster/demo", f"cluster/{cluster}"))
    if "taskArn" in event.get("detail", {}):
        event["detail"]["taskArn"] = event["detail"]["taskArn"].replace("task/demo/", f"task/{cluster}/")
    event["id"] = event_id
    return event


def organization_sequence() -> list[OrgEvent]:
    """Two member accounts in two regions, the tooling account's own cluster, an event the members' rules do not
    take, an account and a region StackSets does not cover, the outside account, and last a member that can no
    longer forward (its forward role loses its permission), whose dead-letter alarm reaches on-call."""
    return [
        OrgEvent(
            "payments, eu-west-1: a task starts",
            PAYMENTS_ACCOUNT,
            "eu-west-1",
            moved("task_running", PAYMENTS_ACCOUNT, "eu-west-1", "payments", "0a9e5b1c-pay-euw1-0001"),
        ),
        OrgEvent(
            "payments, eu-west-1: the task is killed out of memory",
            PAYMENTS_ACCOUNT,
            "eu-west-1",
            moved("task_stopped_oom", PAYMENTS_ACCOUNT, "eu-west-1", "payments", "0a9e5b1c-pay-euw1-0002"),
        ),
        OrgEvent(
            "search, us-east-1: a task cannot pull its image",
            SEARCH_ACCOUNT,
            "us-east-1",
            moved("task_failed_to_start_image_pull", SEARCH_ACCOUNT, "us-east-1", "search", "0a9e5b1c-src-use1-0003"),
        ),
        OrgEvent(
            "tooling, eu-west-1: the logger's own account",
            CENTRAL_ACCOUNT,
            "eu-west-1",
            moved("task_running", CENTRAL_ACCOUNT, "eu-west-1", "tools", "0a9e5b1c-tls-euw1-0004"),
        ),
        OrgEvent(
            "search, us-east-1: a container instance changes",
            SEARCH_ACCOUNT,
            "us-east-1",
            moved("container_instance_state_change", SEARCH_ACCOUNT, "us-east-1", "search", "0a9e5b1c-src-use1-0005"),
        ),
        OrgEvent(
            "payments, eu-central-1: a region outside memberRegions",
            PAYMENTS_ACCOUNT,
            "eu-central-1",
            moved("task_stopped_oom", PAYMENTS_ACCOUNT, "eu-central-1", "payments", "0a9e5b1c-pay-euc1-0006"),
        ),
        OrgEvent(
            "outside the organisation, eu-west-1: PutEvents to the central bus",
            OUTSIDE_ACCOUNT,
            "eu-west-1",
            moved("task_stopped_oom", OUTSIDE_ACCOUNT, "eu-west-1", "intruder", "0a9e5b1c-out-euw1-0007"),
        ),
        OrgEvent(
            "search, us-east-1: its forward role lost its permission, then a task is killed out of memory",
            SEARCH_ACCOUNT,
            "us-east-1",
            moved("task_stopped_oom", SEARCH_ACCOUNT, "us-east-1", "search", "0a9e5b1c-src-use1-0008"),
            breaks_forwarding=True,
        ),
    ]
