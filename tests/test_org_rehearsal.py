"""`python3 -m rehearse --organization`: the organisation mode on the embedded emulator.

The central stack and, from its StackSet's own template body, the member stacks in moto; events of member
accounts in two regions, of the logger's own account and of an account outside the organisation.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from rehearsal_reports import Written, written_both_ways

from rehearse.__main__ import main
from rehearse.org_morning import (
    CENTRAL_ACCOUNT,
    ORGANIZATION_ID,
    OUTSIDE_ACCOUNT,
    PAYMENTS_ACCOUNT,
    SEARCH_ACCOUNT,
    organization_sequence,
)

OUTSIDER_LABEL = "outside the organisation, eu-west-1: PutEvents to the central bus"


def rehearse(*argv: str) -> dict[str, Any]:
    out = io.StringIO()
    assert main(["--organization", *argv, "--json"], out=out) == 0
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


@pytest.fixture(scope="module")
def organization_morning() -> Written:
    """The organisation's morning, played once for the tests that read its report, as data or as text."""
    return written_both_ways("--organization")


@pytest.fixture
def organization_run(organization_morning: Written) -> dict[str, Any]:
    return organization_morning.data


def delivery(report: dict[str, Any], label: str) -> dict[str, Any]:
    (found,) = [played for played in report["deliveries"] if played["label"] == label]
    return found


def stored_records(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The records as the central log group holds them in moto."""
    return [event["message"] for event in report["log_events"]]


def test_the_outside_accounts_event_is_refused_by_the_bus_policy_and_never_logged(
    organization_run: dict[str, Any],
) -> None:
    """IAM User Guide, "AWS global condition context keys": aws:PrincipalOrgID is the organisation of the
    requesting principal's account, absent for an account in none. EventBridge User Guide, "Permissions for event
    buses in Amazon EventBridge", and API Reference, PutPermission: the central bus admits every account of the
    organisation through Principal "*" with the organisation's ID as condition, and no one else. moto enforces no
    resource policy: rehearse/bus_policy.py evaluates the policy moto stored."""
    outsider = delivery(organization_run, OUTSIDER_LABEL)
    assert outsider["account"] == OUTSIDE_ACCOUNT
    assert outsider["caught_by"] == [] and outsider["records"] == []
    assert outsider["why_not"] == (
        f"refused by the central bus's policy: account {OUTSIDE_ACCOUNT} is not in organisation {ORGANIZATION_ID}"
    )
    logged = json.dumps(organization_run["log_events"])
    assert OUTSIDE_ACCOUNT not in logged and "cluster/intruder" not in logged
    assert all(OUTSIDE_ACCOUNT not in note["message"] for note in organization_run["notifications"])


def test_the_refusal_is_the_stored_policys_not_a_rule_of_the_rehearsal(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a bus policy that admits any account, the same outside event reaches the log group: the refusal
    above comes from evaluating the policy the program deployed."""
    import components.organization  # noqa: PLC0415

    def admits_anyone(bus_arn: str, organization_id: str) -> str:
        statement = {"Sid": "AnyAccount", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents"}
        statement["Resource"] = bus_arn
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    monkeypatch.setattr(components.organization, "central_bus_policy", admits_anyone)
    outsider = delivery(rehearse(), OUTSIDER_LABEL)
    assert outsider["why_not"] is None and outsider["records"]
    assert outsider["records"][0]["account"] == OUTSIDE_ACCOUNT


def test_members_events_reach_the_central_log_group_with_their_account_and_region(
    organization_run: dict[str, Any],
) -> None:
    """EventBridge User Guide, "Sending and receiving events between AWS accounts in Amazon EventBridge": a rule
    in the sending account targets the receiver's bus, with a role allowed to put events on it, within a region
    and across regions to a supported destination ("Sending and receiving events between AWS Regions"); the
    receiver's rules match the events. Each record names the account and region it came from where they are not
    the logger's own (handler/origin.py)."""
    by_cluster = {record.get("clusterArn"): record for record in stored_records(organization_run)}
    payments = by_cluster[f"arn:aws:ecs:eu-west-1:{PAYMENTS_ACCOUNT}:cluster/payments"]
    assert payments["account"] == PAYMENTS_ACCOUNT and "region" not in payments  # the logger's own region
    search = by_cluster[f"arn:aws:ecs:us-east-1:{SEARCH_ACCOUNT}:cluster/search"]
    assert (search["account"], search["region"]) == (SEARCH_ACCOUNT, "us-east-1")
    own = by_cluster[f"arn:aws:ecs:eu-west-1:{CENTRAL_ACCOUNT}:cluster/tools"]
    assert "account" not in own and "region" not in own
    for label in ("payments, eu-west-1: a task starts", "search, us-east-1: a task cannot pull its image"):
        played = delivery(organization_run, label)
        assert played["caught_by"] == organization_run["rules"], label
        assert played["path"][0].startswith("forwarded by the member rule StackSet-"), played["path"]
        assert played["path"][1] == f"the bus's policy admits account {played['account']} (aws:PrincipalOrgID)"
    subjects = {note["subject"]: note["message"] for note in organization_run["notifications"]}
    image_pull = next(text for subject, text in subjects.items() if "failed to start" in subject)
    assert f"Account:                        {SEARCH_ACCOUNT}" in image_pull
    assert "https://us-east-1.console.aws.amazon.com/ecs/" in image_pull


def test_the_member_rules_decide_what_is_forwarded(organization_run: dict[str, Any]) -> None:
    """Events the member rule does not take, and accounts and regions without a member stack, never reach the
    central bus."""
    instance = delivery(organization_run, "search, us-east-1: a container instance changes")
    assert instance["why_not"].startswith("not forwarded by the member rule StackSet-")
    assert "other detail-type 'ECS Container Instance State Change'" in instance["why_not"]
    elsewhere = delivery(organization_run, "payments, eu-central-1: a region outside memberRegions")
    assert elsewhere["why_not"] == (
        f"not forwarded: account {PAYMENTS_ACCOUNT} has no member stack in eu-central-1 (the stack set's instances "
        "are in eu-west-1, us-east-1: memberRegions)"
    )
    assert "cluster/payments" not in json.dumps([r for r in stored_records(organization_run) if r.get("region")])


def test_every_member_stack_forwards_to_the_central_bus_and_alarms_to_a_central_topic_in_its_region(
    organization_run: dict[str, Any],
) -> None:
    """CloudFormation API Reference, CreateStackInstances: a service-managed stack set deploys to every account
    of the target OUs in each Region given; a CloudWatch alarm notifies a topic of its own Region, here the
    central account's."""
    members = {(member["account"], member["region"]): member for member in organization_run["members"]}
    accounts = {CENTRAL_ACCOUNT, PAYMENTS_ACCOUNT, SEARCH_ACCOUNT}
    assert set(members) == {(account, region) for account in accounts for region in ("eu-west-1", "us-east-1")}
    for (_, region), member in members.items():
        assert member["target"] == organization_run["event_bus"]
        (action,) = member["alarm_actions"]
        assert action.startswith(f"arn:aws:sns:{region}:{CENTRAL_ACCOUNT}:") and action.endswith("-forwarding")
        assert set(member["created_by_this_command"]) == {"DeadLettersPolicy", "DeadLettersAlarm"}
    member_alarms = [alarm for alarm in organization_run["alarms"] if "DeadLettersAlarm" in alarm["name"]]
    assert len(member_alarms) == len(members)
    # Only the member whose forward role the morning breaks has dead letters.
    in_alarm = {alarm["name"].split(":")[0] for alarm in member_alarms if alarm["state"] == "ALARM"}
    assert in_alarm == {f"{SEARCH_ACCOUNT}/us-east-1"}


BROKEN_LABEL = "search, us-east-1: its forward role lost its permission, then a task is killed out of memory"


def test_a_member_that_cannot_forward_reaches_on_call_on_the_alarm_topic(organization_run: dict[str, Any]) -> None:
    """A cross-account PutEvents needs the sender's own policy to allow it as well as the bus's ("Cross-account
    policy evaluation logic", IAM User Guide); EventBridge parks what it cannot deliver in the target's
    dead-letter queue ("Using dead-letter queues to process undelivered events", EventBridge User Guide). The
    member's alarm on that queue notifies the central topic of its Region, which the function reads (SNS to Lambda
    across Regions: "Sending Amazon SNS messages to an Amazon SQS queue or AWS Lambda function in a different
    Region", SNS Developer Guide) and turns into one message on the alarm topic, where alertEmail and the rest of
    on-call read. moto fails no forward, sends no alarm notification and invokes no function from SNS: the
    rehearsal does those (rehearse/member_failures.py), from the role and subscription moto holds."""
    broken = delivery(organization_run, BROKEN_LABEL)
    assert broken["path"][0].startswith("the rehearsal deleted the policy PutEventsOnTheCentralBus of the member's")
    assert broken["why_not"].startswith(f"refused by EventBridge: no policy of arn:aws:iam::{SEARCH_ACCOUNT}:role/")
    (member,) = [m for m in organization_run["members"] if (m["account"], m["region"]) == (SEARCH_ACCOUNT, "us-east-1")]
    assert broken["path"][-1].startswith(
        f"EventBridge parks it in the member's dead-letter queue {member['dead_letter_queue']}"
    )
    records = stored_records(organization_run)
    assert all(record.get("eventId") != "0a9e5b1c-src-use1-0008" for record in records)
    queue = member["dead_letter_queue"].rsplit("/", 1)[-1]
    (record,) = [r for r in records if r.get("alarmName") == member["alarm"]]
    assert (record["level"], record["account"], record["region"]) == ("ERROR", SEARCH_ACCOUNT, "us-east-1")
    assert record["deadLetterQueue"] == queue
    (note,) = [n for n in organization_run["notifications"] if "not reaching the logger" in n["subject"]]
    assert note["subject"] == f"ECS events of account {SEARCH_ACCOUNT} in us-east-1 are not reaching the logger"
    assert note["reached"] == "the alarm topic"
    lines = {label: value.strip() for label, _, value in (line.partition(":") for line in note["message"].splitlines())}
    assert (lines["Account"], lines["Region"], lines["Dead-letter queue"]) == (SEARCH_ACCOUNT, "us-east-1", queue)


def test_the_text_says_each_events_account_region_and_who_carried_it_across(organization_morning: Written) -> None:
    text = organization_morning.text
    assert f"for organisation {ORGANIZATION_ID}" in text
    assert f"[account {SEARCH_ACCOUNT}, us-east-1]: ECS Task State Change" in text
    assert (
        f"not caught: refused by the central bus's policy: account {OUTSIDE_ACCOUNT} is not in organisation "
        f"{ORGANIZATION_ID}" in text
    )
    assert "moto does not deliver cross-account targets as EventBridge does" in text
    assert "it has no AWS::SQS::QueuePolicy or AWS::CloudWatch::Alarm" in text
    for played in organization_sequence():
        assert played.label in text


def test_an_event_file_plays_from_the_account_and_region_of_its_envelope(tmp_path: Any) -> None:
    (event,) = [played.event for played in organization_sequence() if played.account == SEARCH_ACCOUNT][:1]
    path = tmp_path / "search.json"
    path.write_text(json.dumps(event))
    report = rehearse(str(path))
    (played,) = report["deliveries"]
    assert (played["account"], played["region"]) == (SEARCH_ACCOUNT, "us-east-1")
    assert played["records"][0]["account"] == SEARCH_ACCOUNT


def test_what_motos_cloudformation_skips_is_created_from_the_templates_own_properties() -> None:
    """EventBridge User Guide, "Event retry policy and using dead-letter queues": the rule's dead-letter queue
    admits events.amazonaws.com for that rule (aws:SourceArn); the alarm watches that queue. moto's CloudFormation
    has neither AWS::SQS::QueuePolicy nor AWS::CloudWatch::Alarm, so rehearse/member_stacks.py makes them."""
    import boto3  # noqa: PLC0415

    from components.organization import member_template  # noqa: PLC0415
    from rehearse.member_stacks import as_account, create_member_stack  # noqa: PLC0415
    from rehearse.play import emulated_aws  # noqa: PLC0415

    template = json.dumps(member_template(service_events=True, retry_attempts=185, max_event_age_seconds=86400))
    bus = f"arn:aws:events:eu-west-1:{CENTRAL_ACCOUNT}:event-bus/central"
    parameters = {"CentralEventBusArn": bus, "CentralAccountId": CENTRAL_ACCOUNT, "FailureTopicName": "failures"}
    with emulated_aws("eu-west-1", CENTRAL_ACCOUNT):
        stack = create_member_stack(
            account=SEARCH_ACCOUNT,
            region="us-east-1",
            stack_name="StackSet-members-test",
            template_body=template,
            parameters=parameters,
            capabilities=["CAPABILITY_IAM"],
        )
        with as_account(SEARCH_ACCOUNT):
            sqs = boto3.client("sqs", region_name="us-east-1")
            policy = sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["Policy"])["Attributes"]
            rule_arn = boto3.client("events", region_name="us-east-1").describe_rule(Name=stack.rule_name)["Arn"]
    (statement,) = json.loads(policy["Policy"])["Statement"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arn}}
    assert rule_arn.startswith(f"arn:aws:events:us-east-1:{SEARCH_ACCOUNT}:rule/StackSet-members-test-")
    assert stack.alarm["Dimensions"] == [{"Name": "QueueName", "Value": stack.queue_url.rsplit("/", 1)[-1]}]
    assert stack.alarm["AlarmActions"] == [f"arn:aws:sns:us-east-1:{CENTRAL_ACCOUNT}:failures"]
    assert SEARCH_ACCOUNT in stack.alarm["AlarmDescription"] and "us-east-1" in stack.alarm["AlarmDescription"]
    assert stack.target["Arn"] == bus and stack.target["RoleArn"].startswith(f"arn:aws:iam::{SEARCH_ACCOUNT}:role/")


def test_a_bad_organisation_setting_stops_it_with_the_value_and_the_override_that_fixes_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--organization", "--config", "organizationId=o-BAD"], out=io.StringIO()) == 2
    said = capsys.readouterr().err
    assert "organizationId = 'o-BAD'" in said and "Fix: --config organizationId=o-a1b2c3d4e5" in said
    assert "Traceback" not in said


@pytest.mark.parametrize("admitted_name", ["logger-forwarding", "logger-forwarding-other"], ids=["its own", "another"])
def test_the_alarm_reaches_the_relay_queue_only_if_its_stored_policy_admits_the_topic(admitted_name: str) -> None:
    """moto's SNS delivers to any queue; the rehearsal evaluates the queue's stored policy as SNS's delivery would
    be (rehearse/bus_policy.py), so a policy naming another topic stops the alarm instead of passing it on. The
    topic is in another Region than the queue, as a member Region's is."""
    import boto3  # noqa: PLC0415

    from components.iam_policies import failure_queue_policy  # noqa: PLC0415
    from rehearse import member_failures  # noqa: PLC0415
    from rehearse.play import emulated_aws  # noqa: PLC0415

    with emulated_aws("eu-west-1", CENTRAL_ACCOUNT):
        sqs = boto3.client("sqs", region_name="eu-west-1")
        url = sqs.create_queue(QueueName="relay")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = failure_queue_policy(queue_arn, admitted_name, ["eu-west-1", "us-east-1"])
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        sns = boto3.client("sns", region_name="us-east-1")
        topic_arn = sns.create_topic(Name="logger-forwarding")["TopicArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        notification = {"AlarmName": "member-DeadLettersAlarm", "Region": "US East (N. Virginia)"}
        if admitted_name == "logger-forwarding":
            why = member_failures.publish_alarm(topic_arn, queue_arn, notification, CENTRAL_ACCOUNT)
            assert "admits sns.amazonaws.com" in why
            event, handles = member_failures.poll(queue_arn, CENTRAL_ACCOUNT)
            (record,) = event["Records"]
            assert json.loads(json.loads(record["body"])["Message"]) == notification
            assert member_failures.settle(queue_arn, CENTRAL_ACCOUNT, handles, {"batchItemFailures": []}) == []
        else:
            with pytest.raises(AssertionError, match=r"SNS could not deliver .* admits no sns\.amazonaws\.com"):
                member_failures.publish_alarm(topic_arn, queue_arn, notification, CENTRAL_ACCOUNT)
        assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
