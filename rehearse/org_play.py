"""The organisation mode in moto: the central stack, the member stacks from the StackSet's own template, and
events of member accounts, of the central account and of an account outside the organisation played through them.

Who plays AWS's part in each step is said in ORGANIZATION_NOTES, and printed with the report.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import clients, org_morning
from .bus_policy import Principal, decide
from .metrics import Datapoint, evaluate_alarm
from .org_morning import OrgEvent
from .play import (
    NOTES,
    RULE,
    AlarmState,
    Delivery,
    FunctionInMoto,
    Report,
    _now,
    account_of,
    alarm_states,
    emulated_aws,
)
from .pulumi_cli import StackValue

TYPE_CHECKING = False
if TYPE_CHECKING:  # member_stacks imports boto3, which loads with moto
    from .member_stacks import MemberStack

BUS = "aws:cloudwatch/eventBus:EventBus"
STACK_SET = "aws:cloudformation/stackSet:StackSet"
INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
PUT_EVENTS = "events:PutEvents"

ORGANIZATION_NOTES = (
    "resources of the central account: created in moto with the calls the AWS provider makes (boto3 checks each "
    "against the AWS API), the StackSet with CreateStackSet, so moto holds its template body",
    "member stacks: the stack set's template body and parameters as moto stored them, created with CloudFormation "
    "CreateStack in each account of the target OUs and each Region of the stack set's instances (the accounts and "
    "OUs of rehearse/org_morning.py: moto's own service-managed instances go to the accounts of moto's "
    "Organizations, which this rehearsal does not create). moto's CloudFormation created the role, the dead-letter "
    "queue and the rule with its target; it has no AWS::SQS::QueuePolicy or AWS::CloudWatch::Alarm, so this "
    "command created those with SetQueueAttributes and PutMetricAlarm, from the template's own properties",
    "forwarded or not: moto's EventBridge pattern matcher, on the rule CloudFormation created in the event's "
    "account and region",
    "across accounts: moto does not deliver cross-account targets as EventBridge does (its bus-to-bus forward "
    "re-sends the event as the central account's, in the central region); the rehearsal put the event on the "
    "central bus as EventBridge would, with the member's account and region as the event's account and region, "
    "on the bus the member rule's target names",
    "admitted or refused: moto stores the bus policy and enforces none; rehearse/bus_policy.py evaluated the "
    "stored bus policy and the sender's own policies (aws:PrincipalOrgID against the sender's organisation; IAM "
    'User Guide, "AWS global condition context keys"; EventBridge User Guide, "Permissions for event buses in '
    'Amazon EventBridge")',
    "caught or not on the central bus: moto's EventBridge pattern matcher, on the logger's rules on that bus",
    *NOTES[2:],
    "members' alarms: each member's dead-letter alarm over its queue's depth in moto, by rehearse/metrics.py",
    "a member that cannot forward: moto's bus-to-bus forward never fails, so the rehearsal parked the refused event "
    "in the member's dead-letter queue as EventBridge does after its retries; moto sends no alarm notifications, "
    "so the rehearsal wrote the member alarm's notification in CloudWatch's format and published it to the member "
    "region's failure topic; moto's SNS put it in the relay queue once rehearse/bus_policy.py found the queue's "
    "stored policy admits the topic; moto runs no event source mapping without Docker, so the rehearsal polled "
    "the queue as Lambda does and invoked the function with Lambda's SQS event",
)


@dataclass
class OrgDelivery(Delivery):
    account: str = ""
    region: str = ""
    path: list[str] = field(default_factory=list)  # each hop the event took, and who let it through


@dataclass
class MemberSummary:
    account: str
    region: str
    stack_name: str
    rule: str
    target: str
    dead_letter_queue: str
    alarm: str
    alarm_actions: list[str]
    created_by_this_command: dict[str, str]


@dataclass
class OrgReport(Report):
    organization_id: str = ""
    event_bus: str = ""
    members: list[MemberSummary] = field(default_factory=list)


def _stack_name(stack_set: str, account: str, region: str) -> str:
    """StackSet-NAME-UUID, as StackSets names its stacks; a digest stands in for the UUID, so reruns agree."""
    digest = hashlib.sha256(f"{account}{region}".encode()).hexdigest()
    return f"StackSet-{stack_set}-{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _outsiders_own_policy(bus_arn: str) -> str:
    """What an account outside the organisation grants itself: PutEvents on the central bus."""
    statement = {"Effect": "Allow", "Action": PUT_EVENTS, "Resource": bus_arn}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def play_organization(config: Mapping[str, StackValue], events: Sequence[OrgEvent]) -> OrgReport:
    """Deploy the central stack, then the member stacks, into moto; play ``events`` from their accounts."""
    region = str(config["aws:region"])
    account = account_of(config)
    with emulated_aws(region, account):
        from .aws import Rehearsal  # noqa: PLC0415 - boto3 and moto load here
        from .mocks import RecordingMocks, run_program  # noqa: PLC0415

        # The organisation's ID, where the config leaves it to be looked up: the organisation of the morning.
        mocks = RecordingMocks(region=region, account=account, organization_id=org_morning.ORGANIZATION_ID)
        rehearsal = Rehearsal(run_program(dict(config), mocks), region)
        deployed = rehearsal.run
        rehearsal.rehearse()
        events_client = clients.client("events", region)
        cloudformation = clients.client("cloudformation", region)
        bus = events_client.describe_event_bus(Name=deployed.one(BUS).outputs["name"])
        ous = list(config[f"{org_morning.PROJECT}:memberOrganizationalUnitIds"])  # type: ignore[arg-type]
        regions = [instance.inputs["stackSetInstanceRegion"] for instance in deployed.of_type(INSTANCE)]
        members = _member_stacks(rehearsal, cloudformation, org_morning.covered_accounts(ous), regions)

        function = FunctionInMoto.from_moto(rehearsal, account, region)
        rules = [(rule.outputs["name"], json.loads(rule.inputs["eventPattern"])) for rule in deployed.of_type(RULE)]
        deliveries: list[OrgDelivery] = []
        central = CentralBus(account, region, bus, rules, regions, members)
        for played in events:
            delivery = _route_from_member(played, central)
            deliveries.append(delivery)
            if not delivery.caught_by:
                continue
            function.deliver(delivery, played.event)

        points = function.datapoints(rehearsal)
        alarms = alarm_states(rehearsal, points)
        member_alarms = [_member_alarm(stack) for stack in members.values()]
        for stack, state in zip(members.values(), member_alarms, strict=True):
            if state.state == "ALARM":  # what reached on-call, after each relayed alarm
                _relay_member_alarm(stack, state, function, account)
        return OrgReport(
            region=region,
            account=account,
            deliveries=list(deliveries),
            alarms=alarms + member_alarms,
            **function.report_fields(rules, points),
            notes=ORGANIZATION_NOTES,
            organization_id=str(config.get(f"{org_morning.PROJECT}:organizationId") or mocks.organization_id),
            event_bus=bus["Arn"],
            members=[_summary(stack) for stack in members.values()],
        )


@dataclass(frozen=True)
class CentralBus:
    """What decides an event's path: the central account, Region, bus and rules; the member stacks by where."""

    account: str
    region: str
    bus: Mapping[str, Any]  # DescribeEventBus: Name, Arn, Policy
    rules: list[tuple[str, dict[str, Any]]]
    regions: list[str]  # the stack set's instances
    members: Mapping[tuple[str, str], MemberStack]


def route(played: OrgEvent, central: CentralBus) -> OrgDelivery:
    """The event's path to the central rules, as EventBridge would take it, or where and why it stopped."""
    from .aws import rule_matches  # noqa: PLC0415 - only with moto active
    from .member_stacks import as_account, role_policies  # noqa: PLC0415

    event, bus = played.event, central.bus
    delivery = OrgDelivery(
        played.label,
        str(event.get("id")),
        str(event.get("detail-type")),
        [],
        account=played.account,
        region=played.region,
    )
    organization = org_morning.organization_of(played.account)
    member = central.members.get((played.account, played.region))
    if organization is None:
        sender = Principal(f"arn:aws:iam::{played.account}:role/forward-to-central", played.account, None)
        identity = [_outsiders_own_policy(bus["Arn"])]
        delivery.path.append(f"PutEvents on {bus['Arn']} as {sender.arn}")
    elif member is None:
        delivery.why_not = (
            f"not forwarded: account {played.account} has no member stack in {played.region} (the stack set's "
            f"instances are in {', '.join(central.regions)}: memberRegions)"
        )
        return delivery
    else:
        with as_account(played.account):
            forwards = rule_matches(member.rule_name, event, played.account, played.region)
            identity = role_policies(member.role_name)
        if not forwards:
            delivery.why_not = (
                f"not forwarded by the member rule {member.rule_name}: {why_not_taken(event, member.rule_pattern)}"
            )
            return delivery
        delivery.path.append(f"forwarded by the member rule {member.rule_name} to {member.target['Arn']}")
        if member.target["Arn"] != bus["Arn"]:
            delivery.why_not = f"the member rule's target {member.target['Arn']} is not the central bus"
            return delivery
        sender = Principal(member.target["RoleArn"], played.account, organization)
    decision = decide(
        principal=sender,
        action=PUT_EVENTS,
        resource=bus["Arn"],
        resource_account=central.account,
        resource_policy=bus.get("Policy"),
        identity_policies=identity,
    )
    if not decision.allowed:
        refused_by = "the central bus's policy" if member is None else "EventBridge"  # a member's own role, too
        delivery.why_not = f"refused by {refused_by}: {decision.why}"
        return delivery
    delivery.path.append(decision.why)
    caught = [
        name for name, _ in central.rules if rule_matches(name, event, central.account, central.region, bus["Name"])
    ]
    delivery.caught_by = caught
    if not caught:
        misses = "; ".join(why_not_taken(event, pattern) for _, pattern in central.rules)
        delivery.why_not = f"on the central bus, no rule of the logger takes it: {misses}"
    return delivery


def alternatives(pattern: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A pattern's ``$or`` branches, each with the fields outside ``$or``; a pattern without one is one branch."""
    shared = {key: value for key, value in pattern.items() if key != "$or"}
    return [shared | branch for branch in pattern.get("$or", [{}])]


def why_not_taken(event: Mapping[str, Any], pattern: Mapping[str, Any]) -> str:
    """What of the event a pattern of the organisation's rules disagrees with: its source, its detail-type, or
    whose cluster it is (the member rules take their own account's and region's clusters only)."""
    branches = alternatives(pattern)
    if all(event.get("source") not in branch.get("source", [event.get("source")]) for branch in branches):
        return f"other source {event.get('source')!r}"
    kinds = sorted({kind for branch in branches for kind in branch.get("detail-type", [])})
    if event.get("detail-type") not in kinds:
        return f"other detail-type {event.get('detail-type')!r} (the rule takes {', '.join(kinds)})"
    detail = event.get("detail")
    cluster = detail.get("clusterArn") if isinstance(detail, Mapping) else None
    return f"{cluster or event.get('resources')} is not one of the clusters the rule takes"


def _member_stacks(
    rehearsal: Any, cloudformation: Any, accounts: Sequence[str], regions: Sequence[str]
) -> dict[tuple[str, str], MemberStack]:
    """The stack set's template body and parameters, as moto stored them, created in each account and Region."""
    from .member_stacks import create_member_stack  # noqa: PLC0415

    registered = rehearsal.run.one(STACK_SET)
    stack_set = cloudformation.describe_stack_set(StackSetName=registered.outputs["name"])["StackSet"]
    parameters = {entry["ParameterKey"]: entry["ParameterValue"] for entry in stack_set["Parameters"]}
    return {
        (account, region): create_member_stack(
            account=account,
            region=region,
            stack_name=_stack_name(stack_set["StackSetName"], account, region),
            template_body=stack_set["TemplateBody"],
            parameters=parameters,
            capabilities=rehearsal.resolve(registered.inputs["capabilities"]),
        )
        for account in accounts
        for region in regions
    }


def _member_alarm(stack: MemberStack) -> AlarmState:
    """The member's dead-letter alarm, evaluated over its queue's depth as moto holds it now."""
    from .member_stacks import as_account  # noqa: PLC0415

    alarm = stack.alarm
    with as_account(stack.account):
        sqs = clients.client("sqs", stack.region)
        depth = sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    queue_name = stack.queue_url.rsplit("/", 1)[-1]
    visible = float(depth["Attributes"]["ApproximateNumberOfMessages"])
    point = Datapoint("AWS/SQS", alarm["MetricName"], visible, {"QueueName": queue_name}, _now())
    inputs = {
        "namespace": alarm["Namespace"],
        "metricName": alarm["MetricName"],
        "dimensions": {entry["Name"]: entry["Value"] for entry in alarm["Dimensions"]},
        "statistic": alarm["Statistic"],
        "period": alarm["Period"],
        "evaluationPeriods": alarm["EvaluationPeriods"],
        "threshold": alarm["Threshold"],
        "comparisonOperator": alarm["ComparisonOperator"],
    }
    state, values = evaluate_alarm(inputs, [point] if visible else [])
    name = f"{stack.account}/{stack.region}: {alarm['AlarmName']}"
    return AlarmState(name, state, values, alarm["MetricName"], alarm["AlarmDescription"])


def _route_from_member(played: OrgEvent, central: CentralBus) -> OrgDelivery:
    """route(), with what a member that cannot forward adds: its role broken first (``breaks_forwarding``), and
    a refused event parked in its dead-letter queue."""
    from . import member_failures  # noqa: PLC0415 - it imports boto3

    member = central.members.get((played.account, played.region))
    broke = member_failures.break_forwarding(member) if played.breaks_forwarding and member else None
    delivery = route(played, central)
    if broke:
        delivery.path.insert(0, broke)
    if member is not None and delivery.why_not and delivery.why_not.startswith("refused"):
        delivery.path.append(member_failures.park(member, played.event, delivery.why_not))
    return delivery


def _relay_member_alarm(stack: MemberStack, state: AlarmState, function: FunctionInMoto, central_account: str) -> None:
    """The member alarm's notification, through its topic and the relay queue, to the function
    (rehearse/member_failures.py)."""
    from . import member_failures  # noqa: PLC0415 - it imports boto3

    (topic_arn,) = stack.alarm["AlarmActions"]
    queue_arn = member_failures.relay_queue_of(topic_arn, central_account, stack.region)
    if queue_arn is None:
        raise AssertionError(f"no relay queue is subscribed to {topic_arn}, the member alarm's topic")
    notification = member_failures.alarm_notification(stack, state, datetime.now(UTC))
    member_failures.publish_alarm(topic_arn, queue_arn, notification, central_account)
    event, handles = member_failures.poll(queue_arn, central_account)
    if not handles:
        raise AssertionError(f"the alarm published to {topic_arn} did not reach the relay queue {queue_arn}")
    returned = function.invoke_unrouted(state.name, event)
    failed = member_failures.settle(queue_arn, central_account, handles, returned)
    if failed:
        raise AssertionError(f"the function reported the relayed alarm as not sent: {failed}")


def _summary(stack: MemberStack) -> MemberSummary:
    return MemberSummary(
        account=stack.account,
        region=stack.region,
        stack_name=stack.stack_name,
        rule=stack.rule_name,
        target=stack.target["Arn"],
        dead_letter_queue=stack.queue_url,
        alarm=stack.alarm["AlarmName"],
        alarm_actions=list(stack.alarm.get("AlarmActions") or []),
        created_by_this_command=dict(stack.by_this_command),
    )
