"""The member side in moto: the StackSet's own template body, created in each member account and region.

StackSets with service-managed permissions create one stack per account of the target OUs and Region of the
instances. Here each is created with CloudFormation's CreateStack in that emulated account and Region, with the
stack set's parameters, as moto stored them. moto's CloudFormation creates the role, the queue and the rule (with
its target); it has no AWS::SQS::QueuePolicy or AWS::CloudWatch::Alarm, and skips them with a warning: those two
are created here with the calls CloudFormation would make (SetQueueAttributes, PutMetricAlarm), from the
template's own properties, its intrinsic functions resolved against the stack moto created.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from . import clients


@contextmanager
def as_account(account: str) -> Iterator[None]:
    """moto answers as ``account`` (it reads MOTO_ACCOUNT_ID on every request), as credentials of it would."""
    saved = os.environ.get("MOTO_ACCOUNT_ID")
    os.environ["MOTO_ACCOUNT_ID"] = account
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("MOTO_ACCOUNT_ID", None)
        else:
            os.environ["MOTO_ACCOUNT_ID"] = saved


@dataclass
class MemberStack:
    account: str
    region: str
    stack_name: str
    rule_name: str
    rule_pattern: dict[str, Any]
    target: dict[str, Any]  # the rule's one target, as moto stored it: Arn, RoleArn, DeadLetterConfig
    role_name: str
    queue_url: str
    alarm: dict[str, Any]  # the dead-letter alarm, as PutMetricAlarm took it
    by_this_command: dict[str, str] = field(default_factory=dict)  # logical id -> the call that made it


class Resolver:
    """Ref, Fn::GetAtt and Fn::Sub of the template, against the stack moto created."""

    def __init__(self, account: str, region: str, parameters: Mapping[str, str], physical: Mapping[str, str]):
        self.names = {
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": "aws",
            **parameters,
            **physical,
        }
        self.region = region

    def attribute(self, logical: str, name: str) -> str:
        physical = self.names[logical]
        if name == "Arn" and physical.startswith("https://sqs."):
            sqs = clients.client("sqs", self.region)
            attributes = sqs.get_queue_attributes(QueueUrl=physical, AttributeNames=["QueueArn"])["Attributes"]
            return str(attributes["QueueArn"])
        if name == "QueueName" and physical.startswith("https://sqs."):
            return physical.rsplit("/", 1)[-1]
        if name == "Arn":
            return str(clients.client("events", self.region).describe_rule(Name=physical)["Arn"])
        raise NotImplementedError(f"Fn::GetAtt {logical}.{name} is not resolved by the rehearsal")

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.names[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            return self.attribute(*value["Fn::GetAtt"])
        if set(value) == {"Fn::Sub"}:
            return re.sub(r"\$\{([\w:]+)\}", lambda match: self.names[match[1]], value["Fn::Sub"])
        return {key: self(item) for key, item in value.items()}


def _queue_policy(resolve: Resolver, logical: str, properties: Mapping[str, Any], stack_name: str) -> str:
    sqs = clients.client("sqs", resolve.region)
    for url in resolve(properties["Queues"]):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(resolve(properties["PolicyDocument"]))})
    return "SQS SetQueueAttributes (Policy)"


def _alarm(resolve: Resolver, logical: str, properties: Mapping[str, Any], stack_name: str) -> str:
    given = resolve(dict(properties))
    suffix = hashlib.sha256(f"{stack_name}{logical}".encode()).hexdigest()[:12].upper()
    given.setdefault("AlarmName", f"{stack_name}-{logical}-{suffix}")
    clients.client("cloudwatch", resolve.region).put_metric_alarm(**given)
    return "CloudWatch PutMetricAlarm"


# Resource types moto's CloudFormation does not create, and the call that creates each as CloudFormation would.
NOT_IN_MOTOS_CLOUDFORMATION: dict[str, Callable[[Resolver, str, Mapping[str, Any], str], str]] = {
    "AWS::SQS::QueuePolicy": _queue_policy,
    "AWS::CloudWatch::Alarm": _alarm,
}


@contextmanager
def _skips_said_here() -> Iterator[None]:
    """moto warns of each resource type it skips; the rehearsal's notes say which, and what made them instead."""
    parsing = logging.getLogger("moto")
    saved = parsing.level
    parsing.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Tried to parse AWS::", category=UserWarning)
            yield
    finally:
        parsing.setLevel(saved)


def create_member_stack(
    *,
    account: str,
    region: str,
    stack_name: str,
    template_body: str,
    parameters: Mapping[str, str],
    capabilities: list[str],
) -> MemberStack:
    """CreateStack of the stack set's template in ``account`` and ``region``; what moto skips, created here."""
    template = json.loads(template_body)
    with as_account(account), _skips_said_here():
        cloudformation = clients.client("cloudformation", region)
        cloudformation.create_stack(
            StackName=stack_name,
            TemplateBody=template_body,
            Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
            Capabilities=capabilities,
        )
        listed = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
        physical = {
            entry["LogicalResourceId"]: entry["PhysicalResourceId"] for entry in listed if "LogicalResourceId" in entry
        }
        resolve = Resolver(account, region, parameters, physical)
        made_here = {}
        for logical, declared in template["Resources"].items():
            if logical in physical:
                continue
            create = NOT_IN_MOTOS_CLOUDFORMATION.get(declared["Type"])
            if create is None:
                raise NotImplementedError(
                    f"moto's CloudFormation skipped {declared['Type']} {logical}: add how to create it to "
                    "NOT_IN_MOTOS_CLOUDFORMATION"
                )
            made_here[logical] = create(resolve, logical, declared["Properties"], stack_name)
        events = clients.client("events", region)
        rule_name = physical["ForwardRule"]
        rule = events.describe_rule(Name=rule_name)
        (target,) = events.list_targets_by_rule(Rule=rule_name)["Targets"]
        cloudwatch = clients.client("cloudwatch", region)
        (alarm,) = cloudwatch.describe_alarms(AlarmNamePrefix=f"{stack_name}-")["MetricAlarms"]
        return MemberStack(
            account=account,
            region=region,
            stack_name=stack_name,
            rule_name=rule_name,
            rule_pattern=json.loads(rule["EventPattern"]),
            target=target,
            role_name=physical["ForwardRole"],
            queue_url=physical["DeadLetters"],
            alarm=alarm,
            by_this_command=made_here,
        )


def role_policies(role_name: str) -> list[str]:
    """The role's inline policies as IAM stores them (call as the role's account)."""
    iam = clients.client("iam", clients.GLOBAL_REGION)
    names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    documents = [iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"] for name in names]
    return [json.dumps(_as_document(document)) for document in documents]


def _as_document(stored: Any) -> Any:
    """A policy document as IAM returns it (JSON). moto's CloudFormation stores a role's inline policy as the
    Python text of the template's mapping (single quotes), which is read back as that mapping."""
    if not isinstance(stored, str):
        return stored
    try:
        return json.loads(stored)
    except ValueError:
        return ast.literal_eval(stored)
