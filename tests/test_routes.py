"""Each team its own messages (routes): two teams with a topic each, every topic read through a subscribed queue.

AWS behaviour relied on, by page:
- SNS API Reference, "Publish": a message goes to the subscribers of the TopicArn it names, and only to them;
  moto delivers to SQS subscribers as SNS does (the envelope's Subject and Message).
- SNS API Reference, "CreateTopic": topic names are 1 to 256 of [A-Za-z0-9_-], a FIFO topic's ends in .fifo.
- IAM User Guide, "IAM JSON policy elements: Resource" and the Service Authorization Reference for Amazon SNS
  (docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html): sns:Publish takes the topic
  resource type, so the role can be held to the listed topics; the policy is linted by tests/test_iam_lint.py.
- ECS service names (CreateService, ECS API Reference): up to 255 letters, numbers, hyphens and underscores.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from handler_capture import load_event
from test_notify import TASK_ID, Aws, run
from test_stop_sequence import stopped

from handler import routes as handler_routes
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, run_program, stack_config
from rehearse.play import emulated_aws

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FUNCTION = "aws:lambda/function:Function"


class Team:
    """A team's topic with a queue subscribed to it."""

    def __init__(self, name: str) -> None:
        self.sns, self.sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
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
    assert handler_routes.topic_for("pa.ments", [(routes[0][0], "x")], "alarm") == "alarm"  # only * is special
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
