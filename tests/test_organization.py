"""Organisation mode: the central bus and its policy, the member StackSet and its template, the rules on the bus."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from arn_like import admits
from config_refusals import config_error
from handler_capture import load_event
from moto.events.models import EventPattern

from components.organization import member_template
from rehearse.mocks import ACCOUNT, REGION, RecordingMocks, Run, run_program, stack_config
from rehearse.pulumi_cli import StackValue

BUS = "aws:cloudwatch/eventBus:EventBus"
BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
STACK_SET = "aws:cloudformation/stackSet:StackSet"
INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
PERMISSION = "aws:lambda/permission:Permission"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
ORGANIZATION_ID = "o-a1b2c3d4e5"
MEMBER = "444455556666"
OTHER_REGION = "us-east-1"


def organization_config(
    ous: list[str] | None = None, regions: list[str] | None = None, **values: StackValue
) -> dict[str, StackValue]:
    return stack_config(
        memberOrganizationalUnitIds=ous or ["r-ab12"],
        memberRegions=regions or [REGION, OTHER_REGION],
        organizationId=ORGANIZATION_ID,
        **({"allClusters": "true"} | values),
    )


@pytest.fixture(scope="module")
def deployed() -> Run:
    return run_program(organization_config(alertEmail="oncall@example.com"))


def template_of(deployed: Run) -> dict[str, Any]:
    return dict(json.loads(deployed.one(STACK_SET).inputs["templateBody"]))


def test_the_member_stack_set_deploys_itself_to_every_account_of_the_ous(deployed: Run) -> None:
    """CloudFormation User Guide / API Reference: CreateStackSet with PermissionModel SERVICE_MANAGED and
    AutoDeployment Enabled deploys to accounts added to a target OU later and removes the instances of one that
    leaves (AutoDeployment: "If an account is removed from a target organization or OU, StackSets deletes stack
    instances"); from a delegated administrator, CallAs DELEGATED_ADMIN (CreateStackSet, CreateStackInstances:
    CallAs); DeploymentTargets.OrganizationalUnitIds takes OU IDs or the root ID; a template that creates unnamed
    IAM roles needs CAPABILITY_IAM (CreateStackSet, Capabilities)."""
    stack_set = deployed.one(STACK_SET).inputs
    assert stack_set["permissionModel"] == "SERVICE_MANAGED"
    assert stack_set["autoDeployment"] == {"enabled": True, "retainStacksOnAccountRemoval": False}
    assert stack_set["callAs"] == "DELEGATED_ADMIN"
    assert stack_set["capabilities"] == ["CAPABILITY_IAM"]
    bus = deployed.one(BUS).outputs
    assert stack_set["parameters"]["CentralEventBusArn"] == bus["arn"]
    assert stack_set["parameters"]["CentralAccountId"] == ACCOUNT
    instances = {i.inputs["stackSetInstanceRegion"]: i.inputs for i in deployed.of_type(INSTANCE)}
    assert sorted(instances) == sorted([REGION, OTHER_REGION])
    for instance in instances.values():
        assert instance["deploymentTargets"] == {"organizationalUnitIds": ["r-ab12"]}
        assert instance["callAs"] == "DELEGATED_ADMIN"
        assert instance["stackSetName"] == deployed.one(STACK_SET).outputs["name"]


def test_only_the_organisation_may_put_events_on_the_central_bus(deployed: Run) -> None:
    """EventBridge API Reference, PutPermission: every account of an organisation is admitted by one statement,
    Principal "*" with the organisation ID as the condition (aws:PrincipalOrgID, IAM User Guide, "AWS global
    condition context keys"); the bus policy is at most 10 KB. EventBridge User Guide, "Permissions for event buses
    in Amazon EventBridge": a bus admits other accounts, or an organisation, through its resource-based policy.
    (moto enforces no such policy; tests/test_org_rehearsal.py refuses an outside account by evaluating it.)"""
    bus = deployed.one(BUS).outputs
    policy = deployed.one(BUS_POLICY).inputs
    assert policy["eventBusName"] == bus["name"]
    (statement,) = json.loads(policy["policy"])["Statement"]
    assert statement == {
        "Sid": "OrganizationPutsEvents",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "events:PutEvents",
        "Resource": bus["arn"],
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}},
    }


def test_the_bus_policy_does_not_grow_with_ous_or_regions() -> None:
    """EventBridge PutPermission: "The permission policy on the event bus cannot exceed 10 KB in size"."""
    small = run_program(organization_config(ous=["r-ab12"], regions=[REGION]))
    ous = [f"ou-ab12-{i:08d}" for i in range(40)]
    regions = [REGION, OTHER_REGION, "eu-central-1", "ap-southeast-2", "us-west-2"]
    large = run_program(organization_config(ous=ous, regions=regions))
    sizes = {len(run.one(BUS_POLICY).inputs["policy"]) for run in (small, large)}
    assert len(sizes) == 1 and sizes.pop() < 10 * 1024
    assert len(large.of_type(INSTANCE)) == len(regions)


def test_the_loggers_rules_sit_on_the_central_bus_and_alone_may_invoke(deployed: Run) -> None:
    """Rules on a custom bus have ARNs rule/BUS/NAME (EventBridge User Guide, "Amazon EventBridge rules"); the one
    permission admits the logger's rules on the central bus and neither a default-bus rule of the same name nor
    another account's (tests/arn_like.py)."""
    bus = deployed.one(BUS).outputs["name"]
    (rule,) = deployed.of_type(RULE)
    assert rule.inputs["eventBusName"] == bus
    assert deployed.one(TARGET).inputs["eventBusName"] == bus
    (events_permission,) = [p for p in deployed.of_type(PERMISSION) if p.inputs["principal"] == "events.amazonaws.com"]
    pattern = events_permission.inputs["sourceArn"]
    arn = rule.outputs["arn"]
    assert arn.endswith(f":rule/{bus}/{rule.outputs['name']}")
    assert admits(pattern, arn)
    assert not admits(pattern, arn.replace(f"rule/{bus}/", "rule/"))
    assert not admits(pattern, arn.replace(ACCOUNT, MEMBER))


def test_the_member_template_passes_cfn_lint(deployed: Run) -> None:
    """cfn-lint (AWS's CloudFormation linter, on the resource specifications) finds no error in the template the
    StackSet deploys, in each member region; a broken copy shows that it would."""
    from cfnlint.api import ManualArgs, lint  # type: ignore[import-untyped]  # noqa: PLC0415  (a second to import)

    body = deployed.one(STACK_SET).inputs["templateBody"]
    config = ManualArgs(regions=[REGION, OTHER_REGION])
    errors = [match for match in lint(body, config=config) if match.rule.id.startswith("E")]
    assert errors == []
    broken = json.loads(body)
    broken["Resources"]["DeadLettersAlarm"]["Properties"]["ComparisonOperator"] = "MoreThan"
    assert any(match.rule.id.startswith("E") for match in lint(json.dumps(broken), config=config))


def test_the_member_forwards_exactly_what_the_central_rule_takes(deployed: Run) -> None:
    """The member pattern is the logger's own (components/event_pattern.py), with the member's account and region
    substituted by CloudFormation (Fn::Sub of AWS::AccountId, AWS::Region, AWS::Partition). Matched with moto's
    EventBridge matcher, which implements the prefix filter (EventBridge User Guide, "Content filtering")."""
    forward = template_of(deployed)["Resources"]["ForwardRule"]["Properties"]
    member_pattern = _filled_in(forward["EventPattern"], account=MEMBER, region=OTHER_REGION)
    (rule,) = deployed.of_type(RULE)
    central_pattern = json.loads(rule.inputs["eventPattern"])
    member_event = _as_member(load_event("task_stopped_oom"), MEMBER, OTHER_REGION)
    assert _matches(member_pattern, member_event) and _matches(central_pattern, member_event)
    # The member forwards only its own clusters: another account's event on its bus stays there.
    assert not _matches(member_pattern, _as_member(load_event("task_stopped_oom"), "777788889999", OTHER_REGION))
    # A region the stack does not cover is not taken centrally.
    assert not _matches(central_pattern, _as_member(load_event("task_stopped_oom"), MEMBER, "ap-south-1"))


def test_the_member_role_may_only_put_events_on_the_central_bus(deployed: Run) -> None:
    """EventBridge User Guide, "Sending and receiving events between AWS accounts": a rule that targets another
    account's bus needs a role in the sending account that EventBridge assumes, allowed events:PutEvents on that
    bus, within a Region and across Regions to a supported destination ("Sending and receiving events between AWS
    Regions in Amazon EventBridge": a member in us-east-1 forwards to the central bus in eu-west-1); the dead-letter
    queue admits only the forwarding rule ("Cross-service confused deputy prevention")."""
    resources = template_of(deployed)["Resources"]
    role = resources["ForwardRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": "events:PutEvents", "Resource": {"Ref": "CentralEventBusArn"}}
    ]
    (target,) = resources["ForwardRule"]["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": "CentralEventBusArn"}
    assert target["RoleArn"] == {"Fn::GetAtt": ["ForwardRole", "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DeadLetters", "Arn"]}}
    (queue_statement,) = resources["DeadLettersPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert queue_statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["ForwardRule", "Arn"]}}}


def test_forwarding_failures_reach_a_central_topic_in_the_members_region(deployed: Run) -> None:
    """A member's alarm on its dead-letter queue notifies the central account's topic of the member's own region
    (CloudWatch alarm actions name an SNS topic ARN; the topic's policy admits cloudwatch.amazonaws.com for the
    organisation's accounts, aws:SourceOrgID, IAM User Guide "AWS global condition context keys"). No AWS page says
    whether an alarm may notify a topic of another Region, so each member Region has its own (docs/development.md,
    "What AWS does that the emulators do not: checked where"). The topics' readers are in the tests below."""
    alarm = template_of(deployed)["Resources"]["DeadLettersAlarm"]["Properties"]
    assert alarm["Namespace"] == "AWS/SQS" and alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    (action,) = alarm["AlarmActions"]
    assert action == {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${CentralAccountId}:${FailureTopicName}"}
    topics = deployed.of_type(TOPIC)
    topic_name = deployed.one(STACK_SET).inputs["parameters"]["FailureTopicName"]
    forwarding = [topic for topic in topics if topic.inputs.get("name") == topic_name]
    assert len(forwarding) == 2  # one per member region
    for policy in deployed.of_type(TOPIC_POLICY):
        (statement,) = json.loads(policy.inputs["policy"])["Statement"]
        assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        assert statement["Action"] == "sns:Publish"
        assert statement["Condition"] == {"StringEquals": {"aws:SourceOrgID": ORGANIZATION_ID}}


SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"


def relay_queue_of(run: Run) -> tuple[dict[str, Any], dict[str, Any]]:
    """The relay queue's outputs and its policy's one statement."""
    (mapping,) = run.of_type(MAPPING)
    (queue,) = [q for q in run.of_type(QUEUE) if q.outputs["arn"] == mapping.inputs["eventSourceArn"]]
    (policy,) = [p for p in run.of_type(QUEUE_POLICY) if p.inputs["queueUrl"] == queue.outputs["url"]]
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    return queue.outputs, statement


def test_every_failure_topic_sends_to_one_queue_the_function_reads(deployed: Run) -> None:
    """A topic cannot subscribe to a topic, so every Region's failure topic sends to one queue in the stack's
    Region, and the function reads it and passes each alarm on to the alarm topic (and the chat topic). SNS
    delivers to an SQS queue of another Region, and the subscription is made in the topic's Region ("Sending Amazon
    SNS messages to an Amazon SQS queue or AWS Lambda function in a different Region", SNS Developer Guide); the
    queue's owner subscribes, so no confirmation is needed ("Fanout to Amazon SQS queues"). Lambda's event source
    mapping reads the queue with the role's sqs:ReceiveMessage, DeleteMessage and GetQueueAttributes; the
    queue's visibility timeout is at least six times the function's timeout ("Using Lambda with Amazon SQS").
    The email is on the alarm topic, so it is not subscribed twice."""
    function = deployed.one("aws:lambda/function:Function")
    topic_name = deployed.one(STACK_SET).inputs["parameters"]["FailureTopicName"]
    topics = {t.region: t.outputs["arn"] for t in deployed.of_type(TOPIC) if t.inputs.get("name") == topic_name}
    assert sorted(topics) == sorted([REGION, OTHER_REGION])
    queue, _ = relay_queue_of(deployed)
    relays = [s for s in deployed.of_type(SUBSCRIPTION) if s.inputs["protocol"] == "sqs"]
    assert sorted((s.region, s.inputs["topic"]) for s in relays) == sorted(topics.items())
    assert {s.inputs["endpoint"] for s in relays} == {queue["arn"]}
    assert queue["arn"].split(":")[3] == REGION  # the function's own Region
    (mapping,) = deployed.of_type(MAPPING)
    assert mapping.inputs["functionName"] == function.outputs["arn"]
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert queue["visibilityTimeoutSeconds"] >= 6 * function.inputs["timeout"]
    failed = deployed.outputs["failedEventsQueueUrl"]
    (failed_arn,) = [q.outputs["arn"] for q in deployed.of_type(QUEUE) if q.outputs["url"] == failed]
    assert json.loads(queue["redrivePolicy"])["deadLetterTargetArn"] == failed_arn
    reads = [
        statement
        for policy in deployed.of_type("aws:iam/rolePolicy:RolePolicy")
        for statement in json.loads(policy.inputs["policy"])["Statement"]
        if any(action.startswith("sqs:Receive") for action in statement["Action"])
    ]
    assert reads == [
        {
            "Sid": "ReadForwardingFailures",
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": queue["arn"],
        }
    ]
    # The function's own policy holds its rules' statement and nothing for the topics.
    assert [p.inputs["principal"] for p in deployed.of_type(PERMISSION)] == ["events.amazonaws.com"]
    emails = [s for s in deployed.of_type(SUBSCRIPTION) if s.inputs["protocol"] == "email"]
    assert [s.inputs["topic"] for s in emails] == [deployed.outputs["alarmTopicArn"]]


def test_the_queue_admits_every_failure_topic_and_no_other_sender(deployed: Run) -> None:
    """One statement for every Region: aws:SourceArn, which SNS sets when it sends to a queue, matched with ArnLike
    and '*' for the Region, which IAM checks component by component ("IAM JSON policy elements: Condition
    operators"). No other topic name, no other account's topic of the same name, and no other service qualifies."""
    queue, statement = relay_queue_of(deployed)
    topic_name = deployed.one(STACK_SET).inputs["parameters"]["FailureTopicName"]
    topics = [t.outputs["arn"] for t in deployed.of_type(TOPIC) if t.inputs.get("name") == topic_name]
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}  # both Regions are enabled by default
    assert (statement["Action"], statement["Resource"]) == ("sqs:SendMessage", queue["arn"])
    (operator,) = statement["Condition"]
    pattern = statement["Condition"]["ArnLike"]["aws:SourceArn"]
    assert operator == "ArnLike" and all(admits(pattern, topic) for topic in topics)
    assert admits(pattern, topics[0].replace(REGION, "ap-southeast-2").replace(OTHER_REGION, "ap-southeast-2"))
    assert not admits(pattern, topics[0].replace(ACCOUNT, MEMBER))
    assert not admits(pattern, f"{topics[0]}-other")
    assert not admits(pattern, topics[0].replace(topic_name, "alerts"))


def test_without_notifications_the_email_reads_the_failure_topics_itself() -> None:
    """The function publishes to the alarm topic only with notifications (its role may publish there only then);
    without them, alertEmail subscribes to each failure topic, and there is no relay queue."""
    run = run_program(organization_config(alertEmail="oncall@example.com", notifications="false"))
    topic_name = run.one(STACK_SET).inputs["parameters"]["FailureTopicName"]
    topics = sorted(t.outputs["arn"] for t in run.of_type(TOPIC) if t.inputs.get("name") == topic_name)
    emails = sorted(s.inputs["topic"] for s in run.of_type(SUBSCRIPTION) if s.inputs["protocol"] == "email")
    assert [topic for topic in emails if topic in topics] == topics
    assert [s for s in run.of_type(SUBSCRIPTION) if s.inputs["protocol"] == "sqs"] == []
    assert run.of_type(MAPPING) == []
    assert [p.inputs["principal"] for p in run.of_type(PERMISSION)] == ["events.amazonaws.com"]


def test_an_opt_in_regions_topic_sends_as_that_regions_sns_principal() -> None:
    """SNS Developer Guide, "Sending Amazon SNS messages to an Amazon SQS queue or AWS Lambda function in a
    different Region": from an opt-in Region (af-south-1) to a queue of a Region enabled by default, the queue's
    policy names sns.af-south-1.amazonaws.com; the topic of the queue's own Region sends as sns.amazonaws.com."""
    run = run_program(organization_config(regions=[REGION, "af-south-1"]))
    _, statement = relay_queue_of(run)
    assert statement["Principal"] == {"Service": ["sns.af-south-1.amazonaws.com", "sns.amazonaws.com"]}


def test_a_stack_in_an_opt_in_region_cannot_hear_other_regions_failures() -> None:
    """Same page: cross-region forwarding "from opt-in regions to other opt-in regions is not supported", and AWS
    documents none into an opt-in Region from one enabled by default ("Prerequisites for integrating Amazon SNS with
    Lambda functions across regions" refuses it for Lambda); the stack says so before anything is created."""
    config = organization_config(regions=["af-south-1", REGION]) | {"aws:region": "af-south-1"}
    message = config_error(config)
    assert f"SNS does not deliver from {REGION} to a queue in af-south-1" in message
    assert "pulumi config set notifications false" in message


def test_the_template_takes_the_members_own_clusters_only() -> None:
    template = member_template(service_events=False, retry_attempts=3, max_event_age_seconds=60)
    pattern = template["Resources"]["ForwardRule"]["Properties"]["EventPattern"]
    assert pattern["detail"]["clusterArn"] == [
        {"prefix": {"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/"}}
    ]


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"memberRegions": [REGION], "organizationId": ORGANIZATION_ID}, "memberOrganizationalUnitIds"),
        ({"memberOrganizationalUnitIds": ["r-ab12"]}, "needs memberOrganizationalUnitIds and memberRegions together"),
        ({"organizationId": ORGANIZATION_ID}, "it pins the organisation of organisation mode"),
        (
            {"memberOrganizationalUnitIds": ["ou-nope"], "memberRegions": [REGION], "organizationId": ORGANIZATION_ID},
            "'ou-nope' is not an OU ID",
        ),
        (
            {
                "memberOrganizationalUnitIds": ["r-ab12"],
                "memberRegions": [OTHER_REGION],
                "organizationId": ORGANIZATION_ID,
            },
            f"the stack deploys to {REGION}, which memberRegions does not list",
        ),
        (
            {"memberOrganizationalUnitIds": ["r-ab12"], "memberRegions": [REGION], "organizationId": "1234"},
            "'1234' is not an organization ID",
        ),
    ],
)
def test_bad_organisation_settings_fail_before_anything_is_created(
    values: dict[str, StackValue], complaint: str
) -> None:
    message = config_error(stack_config(allClusters="true", **values))
    assert complaint in message


def test_clusters_of_member_accounts_and_regions_may_be_listed() -> None:
    arns = [f"arn:aws:ecs:{OTHER_REGION}:{MEMBER}:cluster/payments", f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/demo"]
    deployed = run_program(
        stack_config(
            clusterArns=arns,
            memberOrganizationalUnitIds=["r-ab12"],
            memberRegions=[REGION, OTHER_REGION],
            organizationId=ORGANIZATION_ID,
        )
    )
    (rule,) = deployed.of_type(RULE)
    assert sorted(json.loads(rule.inputs["eventPattern"])["$or"][0]["detail"]["clusterArn"]) == sorted(arns)


def _filled_in(value: Any, *, account: str, region: str) -> Any:
    if isinstance(value, dict) and list(value) == ["Fn::Sub"]:
        return (
            value["Fn::Sub"]
            .replace("${AWS::Partition}", "aws")
            .replace("${AWS::Region}", region)
            .replace("${AWS::AccountId}", account)
        )
    if isinstance(value, list):
        return [_filled_in(item, account=account, region=region) for item in value]
    if isinstance(value, dict):
        return {key: _filled_in(item, account=account, region=region) for key, item in value.items()}
    return value


def _as_member(event: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    text = json.dumps(copy.deepcopy(event)).replace(ACCOUNT, account).replace(REGION, region)
    return dict(json.loads(text))


def _matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return bool(EventPattern.load(json.dumps(pattern)).matches_event(event))  # type: ignore[arg-type]


class OrganizationLookup(RecordingMocks):
    """The mocks, answering DescribeOrganization with an organisation of their own and keeping what was asked."""

    LOOKED_UP = "o-l00k3dup42"

    def __init__(self) -> None:
        super().__init__(organization_id=self.LOOKED_UP)
        self.lookups: list[dict[str, Any]] = []

    def call(self, args: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "aws:organizations/getOrganization:getOrganization":
            self.lookups.append(dict(args.args))
        return super().call(args)


def organisation_ids_admitted(run: Run) -> set[str]:
    """The organisation IDs the bus policy and the failure topics' policies admit."""
    conditions = [json.loads(run.one(BUS_POLICY).inputs["policy"])["Statement"][0]["Condition"]["StringEquals"]]
    conditions += [
        json.loads(p.inputs["policy"])["Statement"][0]["Condition"]["StringEquals"] for p in run.of_type(TOPIC_POLICY)
    ]
    return {value for condition in conditions for value in condition.values()}


def test_without_organization_id_the_stacks_own_organisation_is_looked_up_with_describe_organization_alone() -> None:
    """Organizations API Reference, DescribeOrganization: "This operation can be called from any account in the
    organization", so also from the StackSets delegated administrator, a member account. The data source, with
    return_organization_only, calls it alone (terraform-provider-aws, internal/service/organizations/
    organization_data_source.go: it returns before ListAccounts, ListRoots and ListAWSServiceAccessForOrganization,
    which need the management account or a delegated administrator of Organizations)."""
    mocks = OrganizationLookup()
    config = stack_config(memberOrganizationalUnitIds=["r-ab12"], memberRegions=[REGION, OTHER_REGION])
    run = run_program(config | {"ecs-task-events:allClusters": "true"}, mocks)
    assert mocks.lookups == [{"returnOrganizationOnly": True}]
    assert organisation_ids_admitted(run) == {OrganizationLookup.LOOKED_UP}


def test_an_organization_id_given_is_used_and_nothing_is_looked_up() -> None:
    mocks = OrganizationLookup()
    run = run_program(organization_config(), mocks)
    assert mocks.lookups == []
    assert organisation_ids_admitted(run) == {ORGANIZATION_ID}


def test_one_account_looks_nothing_up() -> None:
    mocks = OrganizationLookup()
    run_program(stack_config(allClusters="true"), mocks)
    assert mocks.lookups == []


def test_no_policy_grows_with_the_member_regions() -> None:
    """With a failure topic in every Region AWS lists for SNS (botocore's endpoint data, opt-in Regions among
    them), the function's policy is still its one EventBridge statement, and the relay queue's one statement
    stays within SQS's policy quotas (SQS Developer Guide, "Amazon SQS policy quotas": 8,192 bytes, 50
    principals). memberRegions takes no more Regions than a policy can name."""
    import botocore.session  # noqa: PLC0415

    from components import iam_policies  # noqa: PLC0415
    from components.organization import check_regions  # noqa: PLC0415

    regions = sorted(botocore.session.get_session().get_available_regions("sns"))
    assert len(regions) > 30 and "af-south-1" in regions
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{'q' * 80}"
    policy = iam_policies.failure_queue_policy(queue, f"{'f' * 64}-forwarding", regions)
    (statement,) = json.loads(policy)["Statement"]
    assert len(policy.encode()) <= iam_policies.MAX_QUEUE_POLICY_BYTES
    assert len(statement["Principal"]["Service"]) <= iam_policies.MAX_QUEUE_POLICY_PRINCIPALS
    assert len(check_regions(regions)) == len(regions)
    with pytest.raises(ValueError, match="51 regions"):
        check_regions([f"eu-test{chr(97 + index // 26)}{chr(97 + index % 26)}-1" for index in range(51)])
    two = run_program(organization_config())
    every = run_program(
        organization_config(regions=[region for region in regions if region.startswith(("eu-", "us-"))])
    )
    for run in (two, every):
        assert [p.inputs["principal"] for p in run.of_type(PERMISSION)] == ["events.amazonaws.com"]
    # The same one condition for 2 Regions or 20; only the opt-in Regions' principals are added.
    conditions = [relay_queue_of(run)[1]["Condition"] for run in (two, every)]
    assert conditions[0] == conditions[1]
