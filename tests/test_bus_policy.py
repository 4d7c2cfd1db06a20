"""The rehearsal's evaluator of the central bus's policy (rehearse/bus_policy.py), on the policies the program renders.

moto stores resource policies and enforces none, so the organisation rehearsal's "refused" rests on this.
"""

from __future__ import annotations

import json

import pytest

from components.iam_policies import central_bus_policy
from rehearse.bus_policy import Principal, UnreadablePolicy, decide

BUS = "arn:aws:events:eu-west-1:111122223333:event-bus/central"
ORGANIZATION = "o-7k2m9x4q1z"
PUT_ON_THE_BUS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": BUS}]}
)


def role(account: str, organization: str | None) -> Principal:
    return Principal(f"arn:aws:iam::{account}:role/forward", account, organization)


def put(
    principal: Principal, bus_policy: str | None, identity: tuple[str, ...] = (PUT_ON_THE_BUS,)
) -> tuple[bool, str]:
    decision = decide(
        principal=principal,
        action="events:PutEvents",
        resource=BUS,
        resource_account="111122223333",
        resource_policy=bus_policy,
        identity_policies=identity,
    )
    return decision.allowed, decision.why


def test_a_member_of_the_organisation_is_admitted_and_an_outsider_refused() -> None:
    """IAM User Guide, "AWS global condition context keys": aws:PrincipalOrgID is the organisation of the
    principal's account, absent outside any; "Cross-account policy evaluation logic": across accounts both the
    identity policy and the resource policy must allow. EventBridge User Guide, "Permissions for event buses in
    Amazon EventBridge", and PutPermission: the bus's policy admits the sending account, or its organisation
    with Principal "*" and the organisation's ID as condition."""
    policy = central_bus_policy(BUS, ORGANIZATION)
    assert put(role("444455556666", ORGANIZATION), policy)[0]
    allowed, why = put(role("999900001111", None), policy)
    assert not allowed
    assert why == f"account 999900001111 is not in organisation {ORGANIZATION}"
    allowed, why = put(role("999900001111", "o-0th3r0rg1d"), policy)
    assert not allowed and why.endswith("but of o-0th3r0rg1d")


def test_across_accounts_the_senders_own_policy_must_allow_too() -> None:
    policy = central_bus_policy(BUS, ORGANIZATION)
    allowed, why = put(role("444455556666", ORGANIZATION), policy, identity=())
    assert not allowed and "no policy of arn:aws:iam::444455556666:role/forward allows" in why
    other_bus = PUT_ON_THE_BUS.replace("event-bus/central", "event-bus/other")
    assert not put(role("444455556666", ORGANIZATION), policy, identity=(other_bus,))[0]


def test_the_bus_account_needs_no_bus_policy_and_a_deny_wins() -> None:
    """IAM User Guide, "Policy evaluation logic": within an account an identity policy's Allow is enough;
    an explicit Deny anywhere wins."""
    assert put(role("111122223333", ORGANIZATION), None)[0]
    deny = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "events:*", "Resource": "*"}]})
    assert not put(role("111122223333", ORGANIZATION), deny)[0]


def test_a_policy_it_cannot_read_is_never_taken_for_one_that_admits() -> None:
    odd = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "events:PutEvents",
                    "Resource": BUS,
                    "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORGANIZATION}/*"]}},
                }
            ]
        }
    )
    with pytest.raises(UnreadablePolicy, match="ForAnyValue:StringLike"):
        put(role("444455556666", ORGANIZATION), odd)
