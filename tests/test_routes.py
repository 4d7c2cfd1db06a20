"""Each team its own messages (routes): two teams with a topic each, every topic read through a subscribed queue.

AWS behaviour relied on, by page:
- SNS API Reference, "Publish": a message goes to the subscribers of the TopicArn it names, and only to them;
  moto delivers to SQS subscribers as SNS does (the envelope's Subject and Message).
- SNS API Reference, "CreateTopic": topic names are 1 to 256 of [A-Za-z0-9_-], a FIFO topic's ends in .fifo.
- IAM User Guide, "IAM JSON policy elements: Resource" and the Service Authorization Reference for Amazon SNS
  (docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html): sns:Publish takes the topic
  resource type, so the role can be held to the listed topics; the policy is linted by tests/test_iam_lint.py.
- ECS service names (CreateService, ECS API Reference): up to 255 letters, numbers, hyphens and underscores.
- A team's Slack channel: CreateSlackChannelConfiguration (Chat API Reference; botocore's chatbot model,
  SlackChannelId: pattern [A-Za-z0-9]+, 1 to 255 characters) takes the channel ID, one configuration per channel
  with its own SnsTopicArns; the rehearsal checks each configuration's call against that model (rehearse/aws.py,
  api_model), the project holds channel IDs to Slack's shape, C or G and 4 to 20 capitals and digits.
- "Custom notifications using Amazon Q Developer in chat applications": a channel shows what reaches the topics
  its configuration subscribes to, so a team's channel shows only its topic's messages.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from config_refusals import config_error
from handler_capture import load_event
from test_notify import TASK_ID, Aws, run
from test_stop_sequence import stopped

from components.notifications import CONFIGURATION_NAME
from handler import notify
from handler import routes as handler_routes
from rehearse import clients
from rehearse.aws import Rehearsal
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, run_program, stack_config
from rehearse.play import emulated_aws

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FUNCTION = "aws:lambda/function:Function"
SLACK = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
TOPIC = "aws:sns/topic:Topic"
SLACK_IDS = {"slackWorkspaceId": "T07EA123LEP", "slackChannelId": "C07EZ1ABC23"}


class Team:
    """A team's topic with a queue subscribed to it."""

    def __init__(self, name: str) -> None:
        self.sns, self.sqs = clients.client("sns", REGION), clients.client("sqs", REGION)
        self.topic = self.sns.create_topic(Name=f"{name}-oncall")["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"]
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=arn["QueueArn"])

    def subjects(self) -> list[str]:
        found = []
        while batch := self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                found.append(json.loads(message["Body"])["Subject"])
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        return sorted(found)


class Teams:
    def __init__(self, aws: Aws) -> None:
        self.aws = aws
        self.payments, self.search = Team("payments"), Team("search")

    def fallback(self) -> list[str]:
        return sorted(message["Subject"] for message in self.aws.messages())


@pytest.fixture
def teams(monkeypatch: pytest.MonkeyPatch) -> Iterator[Teams]:
    with emulated_aws(REGION, ACCOUNT):
        found = Teams(Aws(monkeypatch))
        routes = [
            {"services": ["payments-*"], "topicArn": found.payments.topic},
            {"services": ["search-api", "family:search-*"], "topicArn": found.search.topic},
        ]
        monkeypatch.setenv(handler_routes.ROUTES_ENV, json.dumps(routes))
        yield found


def task_of(group: str, number: int) -> dict[str, Any]:
    """The OOM sample's stop, for a task of its own in ``group``."""
    event = stopped(8, f"{group}-{number}")
    event["detail"]["group"] = group
    event["detail"]["taskArn"] = event["detail"]["taskArn"].replace(TASK_ID, f"{number:08x}" + TASK_ID[8:])
    return event


def deployment_of(service: str) -> dict[str, Any]:
    event = copy.deepcopy(load_event("deployment_state_change"))
    event["resources"] = [event["resources"][0].replace("orders-api", service)]
    return event


def test_each_team_gets_only_its_own_services_and_the_alarm_topic_the_rest(teams: Teams) -> None:
    for event in (
        task_of("service:payments-api", 1),
        task_of("service:orders-api", 2),
        task_of("family:search-reindex", 3),
        deployment_of("search-api"),
        deployment_of("search-api-canary"),  # 'search-api' is a name, not a prefix
    ):
        _, raised = run(event)
        assert raised is None
    assert teams.payments.subjects() == ["payments-api: task 00000001 OOM-killed (exit 137)"]
    assert teams.search.subjects() == [
        "search-api: deployment failed",
        "search-reindex: task 00000003 OOM-killed (exit 137)",
    ]
    assert teams.fallback() == [
        "orders-api: task 00000002 OOM-killed (exit 137)",
        "search-api-canary: deployment failed",
    ]


def test_a_crash_loop_holds_back_only_its_own_services_messages(teams: Teams) -> None:
    start = teams.aws.now
    for number in range(10):  # payments-api fails every 30 s
        teams.aws.now = start + number * 30
        run(task_of("service:payments-api", number))
        if number == 4:  # in the middle of it, another team's service fails once, and orders-api too
            run(task_of("service:search-api", 100))
            run(task_of("service:orders-api", 101))
    assert teams.payments.subjects() == ["payments-api: task 00000000 OOM-killed (exit 137)"]
    assert teams.search.subjects() == ["search-api: task 00000064 OOM-killed (exit 137)"]
    assert teams.fallback() == ["orders-api: task 00000065 OOM-killed (exit 137)"]
    teams.aws.now = start + 11 * 60  # the payments window has passed: the next one counts the nine held back
    run(task_of("service:payments-api", 10))
    assert teams.payments.subjects() == ["payments-api: task 0000000a OOM-killed (exit 137) (+9 held back)"]
    assert teams.search.subjects() == [] and teams.fallback() == []


def test_the_first_matching_route_wins() -> None:
    routes = handler_routes.configured_routes(
        {
            handler_routes.ROUTES_ENV: json.dumps(
                [
                    {"services": ["pay*"], "topicArn": "first"},
                    {"services": ["payments-api"], "topicArn": "second"},
                    {"services": ["family:*"], "topicArn": "batch"},
                ]
            )
        }
    )
    assert handler_routes.topic_for("payments-api", routes, "alarm") == "first"
    assert handler_routes.topic_for("family:nightly", routes, "alarm") == "batch"
    assert handler_routes.topic_for("nightly", routes, "alarm") == "alarm"  # a service is not a family
    assert handler_routes.topic_for("pa.ments", [(routes[0][0], "x", None)], "alarm") == "alarm"  # only * is special
    assert handler_routes.topic_for(None, routes, "alarm") == "alarm"
    for unreadable in ("[", '{"services": []}', '[{"services": "payments-api", "topicArn": "t"}]', '[{"topicArn": 1}]'):
        assert handler_routes.configured_routes({handler_routes.ROUTES_ENV: unreadable}) == []


def routes_config(*topics: str) -> str:
    return json.dumps([{"services": [f"team-{i}-*"], "topicArn": topic} for i, topic in enumerate(topics)])


def test_the_role_may_publish_to_exactly_the_routes_topics() -> None:
    payments, search = (f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}-oncall" for name in ("payments", "search"))
    deployed = run_program(stack_config(clusterArn=CLUSTER_ARN, routes=routes_config(payments, search, payments)))
    published = {
        json.dumps(statement["Resource"])
        for policy in deployed.of_type(ROLE_POLICY)
        for statement in json.loads(policy.outputs["policy"])["Statement"]
        if "sns:Publish" in json.dumps(statement["Action"])
    }
    alarm_topic = deployed.outputs["alarmTopicArn"]
    assert published == {json.dumps(alarm_topic), json.dumps([payments, search])}
    variables = deployed.one(FUNCTION).outputs["environment"]["variables"]
    assert [route["topicArn"] for route in json.loads(variables[handler_routes.ROUTES_ENV])] == [
        payments,
        search,
        payments,
    ]
    plain = run_program(stack_config(clusterArn=CLUSTER_ARN))
    assert len(plain.of_type(ROLE_POLICY)) == len(deployed.of_type(ROLE_POLICY)) - 1


def team_channel_routes(payments: str, search: str) -> str:
    """payments with a channel of its own, search without one (its chat goes to the stack's channel)."""
    return json.dumps(
        [
            {"services": ["payments-*"], "topicArn": payments, "slackChannelId": "C0PAYMENTS1"},
            {"services": ["search-api"], "topicArn": search},
        ]
    )


def test_a_routes_channel_gets_a_chat_topic_and_configuration_of_its_own_and_the_role_exactly_those() -> None:
    payments, search = (f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}-oncall" for name in ("payments", "search"))
    deployed = run_program(
        stack_config(clusterArn=CLUSTER_ARN, routes=team_channel_routes(payments, search), **SLACK_IDS)
    )
    topics = {topic.name: topic.outputs["arn"] for topic in deployed.of_type(TOPIC)}
    stack_chat, team_chat = topics["ecs-task-events-chat"], topics["ecs-task-events-chat-c0payments1"]
    channels = {c.inputs["slackChannelId"]: c.inputs for c in deployed.of_type(SLACK)}
    assert set(channels) == {"C07EZ1ABC23", "C0PAYMENTS1"}
    assert channels["C07EZ1ABC23"]["snsTopicArns"] == [stack_chat]
    assert channels["C0PAYMENTS1"]["snsTopicArns"] == [team_chat]
    for same in ("slackTeamId", "iamRoleArn", "guardrailPolicyArns", "region"):
        assert channels["C07EZ1ABC23"][same] == channels["C0PAYMENTS1"][same], same
    names = [channel["configurationName"] for channel in channels.values()]
    assert len(set(names)) == 2 and all(CONFIGURATION_NAME.fullmatch(name) for name in names)
    listed = json.loads(deployed.one(FUNCTION).outputs["environment"]["variables"][handler_routes.ROUTES_ENV])
    assert [route.get("chatTopicArn") for route in listed] == [team_chat, None]
    published = {
        resource
        for policy in deployed.of_type(ROLE_POLICY)
        for statement in json.loads(policy.outputs["policy"])["Statement"]
        if "sns:Publish" in json.dumps(statement["Action"])
        for resource in ([statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"])
    }
    assert published == {deployed.outputs["alarmTopicArn"], stack_chat, payments, search, team_chat}


def test_a_route_naming_the_stacks_own_channel_uses_the_stacks_chat_topic() -> None:
    payments = f"arn:aws:sns:{REGION}:{ACCOUNT}:payments-oncall"
    routes = json.dumps([{"services": ["payments-*"], "topicArn": payments, "slackChannelId": "C07EZ1ABC23"}])
    deployed = run_program(stack_config(clusterArn=CLUSTER_ARN, routes=routes, **SLACK_IDS))
    (chat_topic,) = [topic for topic in deployed.of_type(TOPIC) if "-chat" in topic.name]
    assert len(deployed.of_type(SLACK)) == 1
    listed = json.loads(deployed.one(FUNCTION).outputs["environment"]["variables"][handler_routes.ROUTES_ENV])
    assert listed[0]["chatTopicArn"] == chat_topic.outputs["arn"]


def test_a_routes_channel_needs_the_stacks_workspace_and_a_slack_channel_id() -> None:
    payments = f"arn:aws:sns:{REGION}:{ACCOUNT}:payments-oncall"
    routes = json.dumps([{"services": ["payments-*"], "topicArn": payments, "slackChannelId": "C0PAYMENTS1"}])
    error = config_error(stack_config(clusterArn=CLUSTER_ARN, routes=routes))
    assert "a route names the Slack channel C0PAYMENTS1" in error
    assert "Fix: pulumi config set slackWorkspaceId" in error
    for bad in ("#payments", "payments", "c0payments1", "C0-PAY"):
        wrong = json.dumps([{"services": ["payments-*"], "topicArn": payments, "slackChannelId": bad}])
        error = config_error(stack_config(clusterArn=CLUSTER_ARN, routes=wrong, **SLACK_IDS))
        assert f"route 0: slackChannelId {bad!r} is not a Slack channel ID" in error, bad


def test_the_rehearsal_checks_each_channels_configuration_against_the_chat_api_model() -> None:
    """moto has no chat API: each configuration's CreateSlackChannelConfiguration is checked against the model."""
    payments, search = (f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}-oncall" for name in ("payments", "search"))
    with emulated_aws(REGION, ACCOUNT):
        config = stack_config(clusterArn=CLUSTER_ARN, routes=team_channel_routes(payments, search), **SLACK_IDS)
        rehearsal = Rehearsal(run_program(config), REGION)
        rehearsal.rehearse()
    assert {"ecs-task-events-slack", "ecs-task-events-slack-c0payments1"} <= set(rehearsal.not_emulated)


def titles(team: Team) -> list[str]:
    """The titles of the chat messages that reached the team's topic (the custom notification's content.title)."""
    found = []
    while batch := team.sqs.receive_message(QueueUrl=team.queue, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            found.append(json.loads(json.loads(message["Body"])["Message"])["content"]["title"])
            team.sqs.delete_message(QueueUrl=team.queue, ReceiptHandle=message["ReceiptHandle"])
    return sorted(found)


def test_each_teams_channel_gets_only_its_own_chat_messages_and_the_stacks_channel_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with emulated_aws(REGION, ACCOUNT):
        aws = Aws(monkeypatch)
        payments, search, stack_chat = Team("payments"), Team("search"), Team("stack-chat")
        payments_chat, search_chat = Team("payments-chat"), Team("search-chat")
        routes = [
            {"services": ["payments-*"], "topicArn": payments.topic, "chatTopicArn": payments_chat.topic},
            {"services": ["search-api"], "topicArn": search.topic, "chatTopicArn": search_chat.topic},
            {"services": ["batch-*"], "topicArn": search.topic},  # a route without a channel of its own
        ]
        monkeypatch.setenv(handler_routes.ROUTES_ENV, json.dumps(routes))
        monkeypatch.setenv(notify.CHAT_TOPIC_ENV, stack_chat.topic)
        for event in (
            task_of("service:payments-api", 1),
            task_of("service:search-api", 2),
            task_of("service:orders-api", 3),
            task_of("service:batch-import", 4),
            deployment_of("payments-web"),
        ):
            _, raised = run(event)
            assert raised is None
        assert titles(payments_chat) == [
            ":rotating_light: payments-api: task 00000001 OOM-killed (exit 137)",
            ":rotating_light: payments-web: deployment failed",
        ]
        assert titles(search_chat) == [":rotating_light: search-api: task 00000002 OOM-killed (exit 137)"]
        assert titles(stack_chat) == [
            ":rotating_light: batch-import: task 00000004 OOM-killed (exit 137)",
            ":rotating_light: orders-api: task 00000003 OOM-killed (exit 137)",
        ]
        assert payments.subjects() == [
            "payments-api: task 00000001 OOM-killed (exit 137)",
            "payments-web: deployment failed",
        ]
        assert search.subjects() == [
            "batch-import: task 00000004 OOM-killed (exit 137)",
            "search-api: task 00000002 OOM-killed (exit 137)",
        ]
        assert sorted(message["Subject"] for message in aws.messages()) == [
            "orders-api: task 00000003 OOM-killed (exit 137)"
        ]
