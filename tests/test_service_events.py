"""Service and deployment events reach the function for this stack's clusters only; the notification resources,
their permissions, environment and outputs; the Slack channel.

AWS pages relied on:
- "Amazon ECS service action events" (docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html):
  detail has clusterArn; resources holds the service ARN.
- "Amazon ECS service deployment state change events" (.../developerguide/ecs_service_deployment_events.html):
  detail has no clusterArn; resources holds arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE.
- "Amazon EventBridge event patterns" ("$or" matching; "prefix" matching on each element of an array field).
- AWS General Reference, "Amazon Q Developer in chat applications endpoints and quotas"
  (docs.aws.amazon.com/general/latest/gr/chatbot.html): the chat API has endpoints in us-east-2, us-west-2,
  eu-west-1 and ap-southeast-1 only.
- "Regions and quotas for Amazon Q Developer in chat applications"
  (docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-regions.html): "You can combine Amazon SNS topics from
  multiple Regions in a single Amazon Q Developer in chat applications configuration."
- Chat API Reference, CreateSlackChannelConfiguration: ConfigurationName matches [A-Za-z0-9-_]+, 1 to 128
  characters, and is unique in the account.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from handler_capture import load_event
from test_rehearsal import emulator, physical, rehearse  # noqa: F401 - the fixture

from components import notifications
from policy.validators import POLICIES
from rehearse.aws import Rehearsal, rule_matches
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, RecordingMocks, run_program, stack_config
from rehearse.play import emulated_aws

RULE = "aws:cloudwatch/eventRule:EventRule"
TABLE = "aws:dynamodb/table:Table"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FUNCTION = "aws:lambda/function:Function"
TOPIC = "aws:sns/topic:Topic"
SLACK = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
ROLE = "aws:iam/role:Role"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SLACK_IDS = {"slackWorkspaceId": "T07EA123LEP", "slackChannelId": "C07EZ1ABC23"}
SERVICE_SAMPLES = ("service_action", "service_task_placement_failure", "service_steady_state")
DEPLOYMENT_SAMPLES = ("deployment_state_change", "deployment_rollback")


def moved(event: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return json.loads(json.dumps(event).replace(old, new))


@pytest.mark.usefixtures("emulator")
@pytest.mark.parametrize("config", [{}, {"allClusters": "true"}])
def test_moto_routes_this_clusters_service_and_deployment_events_and_no_others(config: dict[str, str]) -> None:
    rehearsal = rehearse(**config)
    rule = physical(rehearsal, RULE)["name"]

    def accepted(event: dict[str, Any]) -> bool:
        return rule_matches(rule, event, ACCOUNT, REGION)

    for name in (*SERVICE_SAMPLES, *DEPLOYMENT_SAMPLES, "task_stopped_oom"):
        event = load_event(name)
        assert accepted(event), name
        assert not accepted(moved(event, ACCOUNT, "444455556666")), name
        assert not accepted(moved(event, "eu-west-1", "us-east-1")), name
        if not config:  # a list of clusters: another cluster of the same account is not taken
            assert not accepted(moved(event, "/demo", "/other")), name
            # a cluster whose name starts with this one's is another cluster
            assert not accepted(moved(event, "/demo", "/demo-2")), name
        else:
            assert accepted(moved(event, "/demo", "/other")), name
    assert not accepted(load_event("container_instance_state_change"))
    assert not accepted({**load_event("service_action"), "source": "custom.ecs"})


SHORT_ARN_SERVICE = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/orders-api"


@pytest.mark.usefixtures("emulator")
@pytest.mark.parametrize(("config", "caught"), [({}, False), ({"allClusters": "true"}, True)], ids=["list", "all"])
def test_a_short_arn_services_deployments_are_caught_only_with_all_clusters(
    config: dict[str, str], caught: bool
) -> None:
    """A service created before 2021 may still have a short ARN, arn:aws:ecs:REGION:ACCOUNT:service/NAME, without
    its cluster ("Migrate an Amazon ECS short service ARN to a long ARN", docs.aws.amazon.com/AmazonECS/latest/
    developerguide/service-arn-migration.html). A deployment event names its service only in resources, and nothing
    else in it names the cluster ("Amazon ECS service deployment state change events": detail is eventType,
    eventName, deploymentId, updatedAt, reason). So a cluster list, matched on the service/CLUSTER/ prefix, misses
    such a service's deployments (said where serviceEvents is documented), while allClusters' account-wide
    service/ prefix takes them. Its service actions carry detail.clusterArn and are taken either way."""
    rehearsal = rehearse(**config)
    rule = physical(rehearsal, RULE)["name"]
    for name in DEPLOYMENT_SAMPLES:
        event = load_event(name)
        short = moved(event, ":service/demo/", ":service/")
        assert short["resources"] == [SHORT_ARN_SERVICE], name
        assert "demo" not in json.dumps(short), name  # nothing left in the event names the cluster
        assert rule_matches(rule, event, ACCOUNT, REGION), name
        assert rule_matches(rule, short, ACCOUNT, REGION) is caught, name
    action = load_event("service_action")
    short_action = {**action, "resources": [SHORT_ARN_SERVICE]}
    assert rule_matches(rule, short_action, ACCOUNT, REGION)


@pytest.mark.usefixtures("emulator")
def test_without_service_events_the_rule_takes_task_events_only() -> None:
    rehearsal = rehearse(serviceEvents="false")
    rule = physical(rehearsal, RULE)["name"]
    for name in (*SERVICE_SAMPLES, *DEPLOYMENT_SAMPLES):
        assert not rule_matches(rule, load_event(name), ACCOUNT, REGION), name
    assert rule_matches(rule, load_event("task_stopped_oom"), ACCOUNT, REGION)


def test_the_state_table_the_role_policy_and_the_functions_environment() -> None:
    deployed = run_program(stack_config(clusterArn=CLUSTER_ARN))
    table = deployed.one(TABLE)
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["hashKey"] == "pk" and table.inputs["attributes"] == [{"name": "pk", "type": "S"}]
    assert table.inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    topic_arn = deployed.one(TOPIC).outputs["arn"]
    (notify,) = [p for p in deployed.of_type(ROLE_POLICY) if p.name.endswith("-notify")]
    statements = json.loads(notify.inputs["policy"])["Statement"]
    assert [(s["Effect"], s["Action"], s["Resource"]) for s in statements] == [
        ("Allow", "sns:Publish", topic_arn),
        ("Allow", "dynamodb:UpdateItem", table.outputs["arn"]),
    ]
    variables = deployed.one(FUNCTION).inputs["environment"]["variables"]
    assert variables == {
        "NOTIFY_TOPIC_ARN": topic_arn,
        "NOTIFY_TABLE_NAME": table.outputs["name"],
        "NOTIFY_WINDOW_SECONDS": "600",
        "NOTIFY_LOG_GROUP": deployed.one("aws:cloudwatch/logGroup:LogGroup").outputs["name"],
    }
    assert deployed.outputs["notificationTableName"] == table.outputs["name"]
    for resource in deployed.mocks.resources:
        for spec in POLICIES:
            assert spec.check(resource.type, resource.inputs) == [], (spec.name, resource.name)


def test_an_existing_topic_and_another_window() -> None:
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall"
    deployed = run_program(stack_config(clusterArn=CLUSTER_ARN, alarmTopicArn=topic, notificationWindowMinutes="30"))
    variables = deployed.one(FUNCTION).inputs["environment"]["variables"]
    assert (variables["NOTIFY_TOPIC_ARN"], variables["NOTIFY_WINDOW_SECONDS"]) == (topic, "1800")


@pytest.mark.parametrize("config", [{"notifications": "false"}, {"alarms": "false"}])
def test_notifications_off_means_no_table_no_policy_no_environment(config: dict[str, str]) -> None:
    deployed = run_program(stack_config(clusterArn=CLUSTER_ARN, **config))
    assert deployed.of_type(TABLE) == []
    assert [p.name for p in deployed.of_type(ROLE_POLICY)] == ["ecs-task-events-write-logs"]
    assert "environment" not in deployed.one(FUNCTION).inputs
    assert "notificationTableName" not in deployed.outputs


@pytest.mark.usefixtures("emulator")
def test_a_slack_channel_with_a_read_only_guardrail_and_a_role_only_the_chat_service_may_assume() -> None:
    rehearsal = rehearse(**SLACK_IDS)
    deployed = rehearsal.run
    channel = deployed.one(SLACK).inputs
    assert (channel["slackTeamId"], channel["slackChannelId"]) == ("T07EA123LEP", "C07EZ1ABC23")
    assert channel["guardrailPolicyArns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    (chat_topic,) = [t for t in deployed.of_type(TOPIC) if t.name.endswith("-chat")]
    assert channel["snsTopicArns"] == [chat_topic.outputs["arn"]]
    (role,) = [r for r in deployed.of_type(ROLE) if r.name.endswith("-chat-role")]
    assert channel["iamRoleArn"] == role.outputs["arn"]
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "chatbot.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert not [p for p in deployed.of_type(ROLE_POLICY) if p.inputs["role"] == role.outputs["name"]]
    assert deployed.outputs["slackChannelConfigurationArn"].startswith(f"arn:aws:chatbot::{ACCOUNT}:")
    assert "moto does not implement AWS Chatbot" in rehearsal.not_emulated["ecs-task-events-slack"]


@pytest.mark.usefixtures("emulator")
def test_the_chat_format_goes_to_a_topic_only_the_channel_subscribes_to_and_the_alarms_to_both() -> None:
    """A user's own alarm topic (alarmTopicArn) may carry a PagerDuty webhook: it must get the readable text, and
    the chat JSON only the channel. (SNS API Reference, "Publish": a MessageStructure=json message gives its
    "https" text to every HTTPS subscriber.) The function publishes the chat format to NOTIFY_CHAT_TOPIC_ARN."""
    own = f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall"
    deployed = run_program(stack_config(clusterArn=CLUSTER_ARN, alarmTopicArn=own, **SLACK_IDS))
    (chat_topic,) = deployed.of_type(TOPIC)  # the user's topic is theirs; this one is the component's
    chat = chat_topic.outputs["arn"]
    assert chat != own and deployed.one(SLACK).inputs["snsTopicArns"] == [chat]
    variables = deployed.one(FUNCTION).inputs["environment"]["variables"]
    assert (variables["NOTIFY_TOPIC_ARN"], variables["NOTIFY_CHAT_TOPIC_ARN"]) == (own, chat)
    (notify,) = [p for p in deployed.of_type(ROLE_POLICY) if p.name.endswith("-notify")]
    (publish, _) = json.loads(notify.inputs["policy"])["Statement"]
    assert (publish["Action"], publish["Resource"]) == ("sns:Publish", [own, chat])
    alarms = deployed.of_type(ALARM)
    assert alarms and all(alarm.inputs["alarmActions"] == [own, chat] for alarm in alarms)
    # Without a channel: no chat topic, and the function sends the readable text alone.
    plain = run_program(stack_config(clusterArn=CLUSTER_ARN, alarmTopicArn=own))
    assert plain.of_type(TOPIC) == []
    assert "NOTIFY_CHAT_TOPIC_ARN" not in plain.one(FUNCTION).inputs["environment"]["variables"]
    assert all(alarm.inputs["alarmActions"] == [own] for alarm in plain.of_type(ALARM))


def rehearse_in(region: str, stack: str = "dev", **config: str) -> Rehearsal:
    """The program with a Slack channel, for a stack in ``region``, created in moto with the rehearsal's checks."""
    cluster = CLUSTER_ARN.replace(REGION, region)
    with emulated_aws(region, ACCOUNT):
        values = stack_config(clusterArn=cluster, **SLACK_IDS, **config) | {"aws:region": region}
        rehearsal = Rehearsal(run_program(values, RecordingMocks(region=region), stack=stack), region)
        rehearsal.rehearse()
    return rehearsal


@pytest.mark.parametrize(
    ("stack_region", "chat_region"),
    [
        ("eu-west-1", "eu-west-1"),
        ("us-east-1", "us-east-2"),
        ("eu-central-1", "eu-west-1"),
        ("ap-northeast-1", "ap-southeast-1"),
        ("us-west-1", "us-west-2"),
        ("sa-east-1", "us-east-2"),
    ],
)
def test_the_channel_configuration_is_created_in_a_region_with_the_chat_api(
    stack_region: str, chat_region: str
) -> None:
    """The chat API has endpoints in four Regions (AWS General Reference, "Amazon Q Developer in chat applications
    endpoints and quotas"); the configuration goes to one of them and takes the chat topic of the stack's Region
    ("Regions and quotas for Amazon Q Developer in chat applications": topics of several Regions may be combined).
    The rehearsal refuses a chatbot call in a Region without an endpoint."""
    rehearsal = rehearse_in(stack_region)
    channel = rehearsal.run.one(SLACK).inputs
    assert channel["region"] == chat_region
    (chat_topic,) = [t for t in rehearsal.run.of_type(TOPIC) if t.name.endswith("-chat")]
    assert channel["snsTopicArns"] == [chat_topic.outputs["arn"]]
    assert chat_topic.outputs["arn"].split(":")[3] == stack_region


def test_the_channel_region_can_be_chosen_and_must_have_the_chat_api() -> None:
    rehearsal = rehearse_in("eu-central-1", slackChannelRegion="us-west-2")
    assert rehearsal.run.one(SLACK).inputs["region"] == "us-west-2"
    from components import ConfigError  # noqa: PLC0415

    with pytest.raises(ConfigError) as raised:
        run_program(stack_config(clusterArn=CLUSTER_ARN, slackChannelRegion="us-east-1", **SLACK_IDS))
    assert "ecs-task-events:slackChannelRegion = 'us-east-1': 'us-east-1' has no endpoint" in str(raised.value)
    assert "Fix: pulumi config set slackChannelRegion us-east-2" in str(raised.value)


def test_a_configuration_in_the_stacks_region_would_be_refused_where_it_has_no_chat_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The break that a stack in us-east-1 used to hit: the configuration created in the stack's Region."""
    monkeypatch.setattr(notifications, "default_chat_region", lambda region: region)
    with pytest.raises(AssertionError, match=r"chatbot has no endpoint in us-east-1.*General Reference"):
        rehearse_in("us-east-1")


@pytest.mark.parametrize("stack", ["dev", "prod.eu", "team/prod@eu", "x" * 100])
def test_the_configuration_name_is_one_the_chat_api_takes(stack: str) -> None:
    """ConfigurationName: [A-Za-z0-9-_]+, at most 128 (CreateSlackChannelConfiguration); the rehearsal checks the
    call against that pattern and length, so a dotted stack name that passed moto and the mocks fails here."""
    rehearsal = rehearse_in("eu-west-1", stack=stack)
    name = rehearsal.run.one(SLACK).inputs["configurationName"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,128}", name), name
    assert "ecs-task-events-slack" in rehearsal.not_emulated


def test_configuration_names_are_unique_per_account_and_region() -> None:
    """Names are unique in the account: stacks whose names differ only in a character the pattern refuses, the
    same stack in two Regions, or in two projects, get names of their own."""
    name = notifications.channel_configuration_name
    names = {
        name("ecs-task-events", "prod.eu", "ecs-task-events", "eu-west-1"),
        name("ecs-task-events", "prod-eu", "ecs-task-events", "eu-west-1"),
        name("ecs-task-events", "prod.eu", "ecs-task-events", "eu-central-1"),
        name("other-project", "prod.eu", "ecs-task-events", "eu-west-1"),
        name("ecs-task-events", "prod.eu", "logger-2", "eu-west-1"),
        name("p" * 200, "s" * 200, "n" * 200, "eu-west-1"),
        name("p" * 200, "s" * 200, "n" * 201, "eu-west-1"),
    }
    assert len(names) == 7
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,128}", each) for each in names), names
    assert name("ecs-task-events", "prod.eu", "ecs-task-events", "eu-west-1").startswith(
        "prod-eu-ecs-task-events-eu-west-1-"
    )


BAD = {
    "workspace alone": ({"slackWorkspaceId": "T07EA123LEP"}, "slackWorkspaceId and slackChannelId go together"),
    "channel name": (
        {"slackWorkspaceId": "T07EA123LEP", "slackChannelId": "#oncall"},
        "'#oncall' is not a Slack channel ID",
    ),
    "notifications without alarms": (
        {"alarms": "false", "notifications": "true"},
        "notifications sends to the alarm topic, but ecs-task-events:alarms is false",
    ),
    "window": ({"notificationWindowMinutes": "0"}, "use 1 to 1440"),
    "channel region without a channel": ({"slackChannelRegion": "eu-west-1"}, "no Slack channel is set"),
    "a channel without the messages": (
        {"notifications": "false", **SLACK_IDS},
        "the Slack channel receives the messages to on-call and the alarms",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_notification_config_is_refused_with_the_fix(case: str) -> None:
    from components import ConfigError  # noqa: PLC0415

    values, complaint = BAD[case]
    with pytest.raises(ConfigError) as raised:
        run_program(stack_config(clusterArn=CLUSTER_ARN, **values))
    assert complaint in str(raised.value) and "Fix: pulumi config" in str(raised.value)
