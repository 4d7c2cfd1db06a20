"""Every IAM policy document a deployment renders, and parliament's lint of each, offline.

The documents come from what the program registered under the mocks, not from a list of policy functions: any
input that is a JSON policy document (a role's trust policy, a role policy, a queue, topic or bus policy, whatever
is added later) is found and linted, and so is each function's resource-based policy, rebuilt from its Lambda
permissions the way Lambda stores it (components.iam_policies.eventbridge_invoke_statement). A resource type whose
name says it holds a policy but in which no document is found is an error, not a silent skip.

parliament (duo-labs, 1.6.4) checks, against its bundled copy of AWS's Service Authorization Reference: that every
action exists; that each Allow statement names at least one resource of a type its action acts on (a topic ARN for
sqs:SendMessage is a RESOURCE_MISMATCH); that every condition key is a global key or one the action documents; that
the condition operator exists and suits the key's type; the policy's grammar (Version, Effect, unique Sids).

Documents with a Principal, as parliament treats them:
- a resource policy (queue, topic, bus): linted whole. Of the Principal, parliament checks only that an "AWS"
  principal is an account ID or an IAM ARN and that a "Federated" one is a known provider; a "Service" principal is
  not checked (parliament ships no list of service principals, nor does botocore).
- a role's trust policy: IAM refuses one with a Resource (CreateRole answers MalformedPolicyDocument, "Has prohibited
  field Resource"), and parliament refuses a statement without one. It is linted as what the IAM User Guide ("AWS
  JSON policy elements: Principal") calls it, the role's resource-based policy: with the role's ARN as its Resource,
  so that sts:AssumeRole, the resource type it acts on, its condition keys and the principal are checked. That the
  rendered document has no Resource is checked here.
- the function's policy: its Sids are AddPermission's StatementId, which Lambda allows to hold '-' and '_' (the
  pattern in botocore's lambda model, read below), while parliament holds every Sid to IAM's [0-9A-Za-z]* and then
  skips the rest of the statement. So the Sids are checked here against Lambda's own pattern, and unique, and the
  statements linted without them.

parliament's database dates from its release (April 2025). Every action and condition key the program uses is in
it. What it lacks (among the services used here, for instance logs:ListLogGroups, lambda:GetFunctionScalingConfig,
and the global condition keys aws:SourceOrgID and aws:SourceOrgPaths) fails the lint as unknown. An action AWS
documents but parliament does not know goes into KNOWN_GAPS with the page of the Service Authorization Reference that
lists it; its statement is then linted without it (so that action's resources are not checked). An entry that
parliament does know is refused, so the list cannot outlive the gap.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import botocore.session
import parliament

from components.iam_policies import eventbridge_invoke_statement, function_resource_policy
from rehearse.mocks import Registered, Run

Kind = Literal["identity", "resource", "trust", "function"]

FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
ROLE = "aws:iam/role:Role"

# Actions AWS documents that parliament's database lacks: action -> the Service Authorization Reference page.
KNOWN_GAPS: Mapping[str, str] = {}
# Global condition keys AWS documents that parliament lacks: key -> (the page, the operators its type takes). The
# condition is checked here (a known key's operator, a non-empty string value) and the statement linted without it.
KNOWN_CONDITION_GAPS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "aws:SourceOrgID": ('IAM User Guide, "AWS global condition context keys", aws:SourceOrgID', ("StringEquals",)),
}


def _add_permission_rule(parameter: str) -> tuple[re.Pattern[str], int]:
    """An AddPermission parameter as Lambda's API model constrains it: pattern and maximum length. botocore does
    not check patterns before it sends a call, and moto does not check these, so the test bed does."""
    model = botocore.session.get_session().get_service_model("lambda")
    member = model.operation_model("AddPermission").input_shape.members[parameter]
    return re.compile(member.metadata["pattern"]), int(member.metadata["max"])


LAMBDA_STATEMENT_ID, LAMBDA_STATEMENT_ID_MAX = _add_permission_rule("StatementId")
# No '*' in the Region or account of a SourceArn: its pattern takes a Region name or nothing there.
LAMBDA_SOURCE_ARN, LAMBDA_SOURCE_ARN_MAX = _add_permission_rule("SourceArn")


class NotLintable(Exception):
    """A registered resource holds a policy this module cannot rebuild: teach it, rather than skip it."""


@dataclass(frozen=True)
class Rendered:
    where: str  # resource type, name and input key
    kind: Kind
    document: dict[str, Any]
    governs: str | None = None  # for a trust policy, the role's ARN

    @property
    def statements(self) -> list[dict[str, Any]]:
        listed = self.document["Statement"]
        return listed if isinstance(listed, list) else [listed]


def _json_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _json_strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{path}[{index}]")


def _policy_document(text: str) -> dict[str, Any] | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) and "Statement" in parsed else None


def _says_it_holds_a_policy(resource_type: str) -> bool:
    kind = resource_type.rsplit(":", 1)[-1]
    return "Policy" in kind or "Permission" in kind


def _documents_in(resource: Registered) -> list[Rendered]:
    found = []
    for path, text in _json_strings(resource.inputs, ""):
        document = _policy_document(text)
        if document is None:
            continue
        where = f"{resource.type} {resource.name} .{path}"
        statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        kind: Kind
        if resource.type == ROLE and path == "assumeRolePolicy":
            kind = "trust"
        elif any("Principal" in s or "NotPrincipal" in s for s in statements):
            kind = "resource"
        else:
            kind = "identity"
        found.append(Rendered(where, kind, document, resource.outputs.get("arn") if kind == "trust" else None))
    return found


def _function_policies(run: Run, permissions: list[Registered]) -> list[Rendered]:
    """Each function's resource-based policy as Lambda stores it after the program's AddPermission calls."""
    statements: dict[str, list[dict[str, Any]]] = {}
    for permission in permissions:
        inputs = permission.inputs
        if inputs.get("principal") != "events.amazonaws.com" or "sourceArn" not in inputs:
            raise NotLintable(
                f"{permission.name}: how Lambda stores a permission for {inputs.get('principal')!r} without a rule's "
                "sourceArn is not modelled; add its statement shape to components/iam_policies.py and here"
            )
        functions = [
            f for f in run.of_type(FUNCTION) if inputs["function"] in (f.outputs.get("name"), f.outputs.get("arn"))
        ]
        if len(functions) != 1:
            raise NotLintable(f"{permission.name}: no single function named {inputs['function']!r}")
        function_arn = functions[0].outputs["arn"]
        # The provider names the statement after the resource (plus a random suffix) when the program sets none.
        statement_id = inputs.get("statementId") or permission.name
        statement = eventbridge_invoke_statement(statement_id, function_arn, inputs["sourceArn"])
        statements.setdefault(function_arn, []).append(statement)
    return [
        Rendered(f"{FUNCTION} {arn} (resource-based policy)", "function", json.loads(function_resource_policy(listed)))
        for arn, listed in statements.items()
    ]


def rendered_policies(run: Run) -> list[Rendered]:
    """Every policy document of a finished (mocked) deployment."""
    found: list[Rendered] = []
    permissions = []
    for resource in run.mocks.resources:
        if resource.type == PERMISSION:
            permissions.append(resource)
            continue
        documents = _documents_in(resource)
        if not documents and _says_it_holds_a_policy(resource.type):
            raise NotLintable(f"{resource.type} {resource.name}: no policy document found in its inputs to lint")
        found.extend(documents)
    return found + _function_policies(run, permissions)


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def _known_to_parliament(action: str) -> bool:
    try:
        parliament.expand_action(action)
    except (parliament.UnknownActionException, parliament.UnknownPrefixException):
        return False
    return True


def _without_known_gaps(statements: list[dict[str, Any]], known_gaps: Mapping[str, str]) -> list[dict[str, Any]]:
    gaps = {action.lower() for action in known_gaps}
    for action in known_gaps:
        if _known_to_parliament(action):
            raise ValueError(f"KNOWN_GAPS lists {action!r}, which parliament knows: remove it")
    kept = []
    for statement in statements:
        actions = [action for action in _actions(statement) if action.lower() not in gaps]
        if actions:
            kept.append({**statement, "Action": actions} if "Action" in statement else statement)
    return kept


def _without_condition_gaps(statement: dict[str, Any], where: str, problems: list[str]) -> None:
    """Takes out the conditions on keys parliament lacks, after checking them against KNOWN_CONDITION_GAPS."""
    for key in KNOWN_CONDITION_GAPS:
        if key in parliament.statement.GLOBAL_CONDITION_KEYS:
            raise ValueError(f"KNOWN_CONDITION_GAPS lists {key!r}, which parliament knows: remove it")
    conditions = statement.get("Condition") or {}
    for operator in list(conditions):
        for key in [k for k in conditions[operator] if k in KNOWN_CONDITION_GAPS]:
            value = conditions[operator].pop(key)
            if operator not in KNOWN_CONDITION_GAPS[key][1] or not isinstance(value, str) or not value:
                problems.append(
                    f"{where}: {operator} {key} = {value!r} is not how {KNOWN_CONDITION_GAPS[key][0]} reads"
                )
        if not conditions[operator]:
            del conditions[operator]
    if "Condition" in statement and not statement["Condition"]:
        del statement["Condition"]


def _prepared(rendered: Rendered, problems: list[str]) -> list[dict[str, Any]]:
    """The statements as parliament can read them, with what it cannot check checked here."""
    statements = [copy.deepcopy(statement) for statement in rendered.statements]  # each its own, even if repeated
    for statement in statements:
        _without_condition_gaps(statement, rendered.where, problems)
    if rendered.kind == "trust":
        for statement in statements:
            if "Resource" in statement or "NotResource" in statement:
                problems.append(f"{rendered.where}: a trust policy has no Resource (IAM: 'Has prohibited field')")
            statement["Resource"] = rendered.governs
    if rendered.kind == "function":
        sids = [statement.pop("Sid", None) for statement in statements]
        for sid in sids:
            if sid is None or not LAMBDA_STATEMENT_ID.fullmatch(sid) or len(sid) > LAMBDA_STATEMENT_ID_MAX:
                problems.append(
                    f"{rendered.where}: statement id {sid!r} is not one AddPermission takes "
                    f"({LAMBDA_STATEMENT_ID.pattern}, at most {LAMBDA_STATEMENT_ID_MAX})"
                )
        if len(set(sids)) != len(sids):
            problems.append(f"{rendered.where}: duplicate statement ids {sids}")
        for statement in statements:
            source = statement.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn")
            if (
                not isinstance(source, str)
                or not LAMBDA_SOURCE_ARN.fullmatch(source)
                or len(source) > LAMBDA_SOURCE_ARN_MAX
            ):
                problems.append(
                    f"{rendered.where}: SourceArn {source!r} is not one AddPermission takes "
                    f"({LAMBDA_SOURCE_ARN.pattern}, at most {LAMBDA_SOURCE_ARN_MAX})"
                )
    return statements


def findings(rendered: Rendered, known_gaps: Mapping[str, str] = KNOWN_GAPS) -> list[str]:
    """parliament's findings on one document, each as 'where: ISSUE detail'; none when it is clean."""
    problems: list[str] = []
    statements = _without_known_gaps(_prepared(rendered, problems), known_gaps)
    if not statements:
        return problems
    document = {**rendered.document, "Statement": statements}
    policy = parliament.analyze_policy_string(json.dumps(document), ignore_private_auditors=True)
    problems.extend(f"{rendered.where}: {finding.issue} {finding.detail}" for finding in policy.findings)
    return problems
