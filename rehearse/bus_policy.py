"""Would AWS let this principal put events on this bus? The policies, evaluated as IAM does, for moto does not.

moto stores an event bus's resource policy and a role's policies but enforces neither. This evaluates the few
elements the project's policies use, and refuses to guess at any other (an unknown condition operator or key
raises, so a policy this cannot read never passes for one that admits):

- IAM User Guide, "Policy evaluation logic": an explicit Deny wins; otherwise an Allow is needed. Within one
  account, an Allow in the identity policy or the resource policy is enough; across accounts, both are needed
  ("Cross-account policy evaluation logic").
- IAM User Guide, "AWS global condition context keys" (docs.aws.amazon.com/IAM/latest/UserGuide/
  reference_policies_condition-keys.html): aws:PrincipalOrgID is the identifier of the organisation the
  requesting principal's account belongs to, absent for an account outside any organisation (a condition on an
  absent key does not match); aws:PrincipalAccount is the principal's account.
- EventBridge User Guide, "Permissions for event buses in Amazon EventBridge" (docs.aws.amazon.com/eventbridge/
  latest/userguide/eb-event-bus-perms.html), and EventBridge API Reference, PutPermission: a bus admits other
  accounts through its resource-based policy, an organisation through Principal "*" and its ID as condition;
  members of the organisation name a RoleArn, with the permissions to put events on the bus, on their target.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Principal:
    """Who calls: an IAM role's ARN, its account, and its account's organisation (None outside any); or a service
    principal (``service``, e.g. sns.amazonaws.com) acting for the resource ``source_arn``."""

    arn: str
    account: str
    organization_id: str | None
    service: bool = False
    source_arn: str | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    why: str


class UnreadablePolicy(ValueError):
    """The policy uses an element this evaluator does not implement: it cannot say what AWS would decide."""


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _like(pattern: str, value: str) -> bool:
    """IAM's StringLike and ArnLike: ``*`` any characters, ``?`` exactly one, case-sensitive."""
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _context(principal: Principal) -> dict[str, str]:
    if principal.service:  # aws:SourceArn: the resource the service acts for (IAM User Guide, as above)
        return {"aws:SourceArn": principal.source_arn} if principal.source_arn else {}
    keys = {"aws:PrincipalAccount": principal.account, "aws:PrincipalArn": principal.arn}
    if principal.organization_id is not None:
        keys["aws:PrincipalOrgID"] = principal.organization_id
    return keys


KNOWN_KEYS = {"aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:SourceArn"}


def _equals(wanted: str, given: str) -> bool:
    return given == wanted


OPERATORS = {"StringEquals": _equals, "StringLike": _like, "ArnEquals": _equals, "ArnLike": _like}


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], principal: Principal) -> bool:
    context = _context(principal)
    for operator, tests in conditions.items():
        if operator not in OPERATORS:
            raise UnreadablePolicy(f"condition operator {operator!r} is not evaluated here")
        for key, wanted in tests.items():
            if key not in KNOWN_KEYS:
                raise UnreadablePolicy(f"condition key {key!r} is not evaluated here")
            given = context.get(key)
            if given is None or not any(OPERATORS[operator](str(w), given) for w in _listed(wanted)):
                return False
    return True


def _names_principal(statement: Mapping[str, Any], principal: Principal) -> bool:
    named = statement.get("Principal")
    if named is None:  # an identity policy: its statements are about the principal it is attached to
        return True
    if named == "*":
        return True
    if not isinstance(named, Mapping) or set(named) - {"AWS", "Service"}:
        raise UnreadablePolicy(f"Principal {named!r} is not evaluated here")
    if principal.service:
        return principal.arn in _listed(named.get("Service", []))
    for entry in _listed(named.get("AWS", [])):
        if entry in ("*", principal.arn, principal.account, f"arn:aws:iam::{principal.account}:root"):
            return True
    return False


def _applies(statement: Mapping[str, Any], principal: Principal, action: str, resource: str) -> bool:
    if "NotAction" in statement or "NotResource" in statement or "NotPrincipal" in statement:
        raise UnreadablePolicy("NotAction, NotResource and NotPrincipal are not evaluated here")
    actions = _listed(statement.get("Action", []))
    resources = _listed(statement.get("Resource", []))
    return (
        _names_principal(statement, principal)
        and any(_like(pattern.lower(), action.lower()) for pattern in actions)
        and any(_like(pattern, resource) for pattern in resources)
        and _conditions_hold(statement.get("Condition") or {}, principal)
    )


def _effects(policy: str | None, principal: Principal, action: str, resource: str) -> set[str]:
    """The effects ("Allow", "Deny") of the statements of ``policy`` that apply to this request."""
    if not policy:
        return set()
    document = json.loads(policy)
    return {
        str(statement["Effect"])
        for statement in _listed(document.get("Statement", []))
        if _applies(statement, principal, action, resource)
    }


def decide(
    *,
    principal: Principal,
    action: str,
    resource: str,
    resource_account: str,
    resource_policy: str | None,
    identity_policies: Sequence[str],
) -> Decision:
    """Whether ``principal`` may do ``action`` on ``resource`` (of ``resource_account``), and why, in one line."""
    on_resource = _effects(resource_policy, principal, action, resource)
    on_identity: set[str] = set()
    for policy in identity_policies:
        on_identity |= _effects(policy, principal, action, resource)
    if "Deny" in on_resource | on_identity:
        return Decision(False, f"an explicit Deny of {action} applies to {principal.arn}")
    if "Allow" not in on_identity:
        return Decision(False, f"no policy of {principal.arn} allows {action} on {resource}")
    if principal.account == resource_account:
        return Decision(True, f"{principal.arn} is of the bus's own account and its policy allows {action}")
    if "Allow" in on_resource:
        return Decision(True, f"the bus's policy admits account {principal.account} (aws:PrincipalOrgID)")
    admitted = " or ".join(_admitted_organizations(resource_policy)) or "no organisation"
    elsewhere = f", but of {principal.organization_id}" if principal.organization_id else ""
    return Decision(False, f"account {principal.account} is not in organisation {admitted}{elsewhere}")


def decide_for_service(*, service: str, source_arn: str, action: str, resource: str, resource_policy: str) -> Decision:
    """Whether the service principal ``service``, acting for ``source_arn``, may do ``action`` on ``resource``: a
    service principal has no identity policy, so the resource's policy alone decides."""
    principal = Principal(service, "", None, service=True, source_arn=source_arn)
    effects = _effects(resource_policy, principal, action, resource)
    if "Deny" in effects:
        return Decision(False, f"an explicit Deny of {action} applies to {service} for {source_arn}")
    if "Allow" in effects:
        return Decision(True, f"the policy of {resource} admits {service} for {source_arn} (aws:SourceArn)")
    return Decision(False, f"the policy of {resource} admits no {service} for {source_arn}")


def _admitted_organizations(policy: str | None) -> list[str]:
    """The organisation IDs the policy's Allow statements name in aws:PrincipalOrgID."""
    found: list[str] = []
    for statement in _listed(json.loads(policy).get("Statement", []) if policy else []):
        if statement.get("Effect") == "Allow":
            for tests in (statement.get("Condition") or {}).values():
                found += [str(value) for value in _listed(tests.get("aws:PrincipalOrgID", []))]
    return found
