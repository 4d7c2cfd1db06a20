"""Each team its own topic: ``routes`` sends a service's messages to its team's SNS topic instead of the alarm topic.

A route is ``{"services": [...], "topicArn": "..."}``; ``services`` holds service names, or ``family:NAME`` for
tasks started outside a service, with ``*`` matching any characters. The first route whose services match takes
the message; a message no route takes goes to the alarm topic. The function may publish to exactly these topics.
handler/routes.py reads the same list from the function's environment.

A route may name its team's Slack channel (``slackChannelId``, in the stack's ``slackWorkspaceId``): the channel
gets a chat topic and a channel configuration of its own (components/notifications.py), and the route's messages
go there in the chat format instead of to the stack's channel.

No ``from __future__ import annotations``: Pulumi's analyzer reads RouteArgs' annotations at runtime for the
package schema.
"""

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

from .notifications import check_slack_channel_id

ROUTES_ENV = "NOTIFY_ROUTES"
# SNS topic ARN (CreateTopic, SNS API Reference: names of 1 to 256 of [A-Za-z0-9_-], '.fifo' for FIFO topics).
TOPIC_ARN = re.compile(
    r"arn:(?:aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):sns:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:"
    r"[A-Za-z0-9_-]{1,256}(?P<fifo>\.fifo)?"
)
# A service name (CreateService: up to 255 letters, digits, hyphens and underscores) or family:NAME, with '*'.
SERVICE_PATTERN = re.compile(r"(?:family:)?[A-Za-z0-9_*-]{1,255}")
MAX_ROUTES = 50


class RouteArgs(TypedDict):
    """One team's route."""

    services: Sequence[str]
    """Service names, or family:NAME for tasks outside a service; * matches any characters."""
    topic_arn: str
    """The team's SNS topic, in the logger's region."""
    slack_channel_id: NotRequired[str]
    """The team's Slack channel (C...), in the stack's slackWorkspaceId: its messages go there, not to the stack's."""


def check_routes(value: object) -> tuple[dict[str, Any], ...]:
    """Each route as {"services": (...), "topicArn": "..."}; topicArn or topic_arn (the Python name) accepted."""
    example = '[{"services": ["payments-*"], "topicArn": "arn:aws:sns:REGION:ACCOUNT_ID:payments-oncall"}]'
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{value!r} is not a list of routes, e.g. {example}")
    if len(value) > MAX_ROUTES:
        raise ValueError(f"{len(value)} routes: at most {MAX_ROUTES}")
    checked = []
    for index, route in enumerate(value):
        where = f"route {index}"
        if not isinstance(route, dict):
            raise ValueError(f"{where}: {route!r} is not an object like {example[1:-1]}")
        unknown = set(route) - {"services", "topicArn", "topic_arn", "slackChannelId", "slack_channel_id"}
        if unknown:
            raise ValueError(
                f"{where}: unknown key(s) {', '.join(sorted(unknown))}; a route has services, topicArn and, "
                "optionally, slackChannelId"
            )
        topic = route.get("topicArn", route.get("topic_arn"))
        match = TOPIC_ARN.fullmatch(topic) if isinstance(topic, str) else None
        if match is None:
            raise ValueError(f"{where}: topicArn {topic!r} is not an SNS topic ARN: arn:aws:sns:REGION:ACCOUNT_ID:NAME")
        if match.group("fifo"):
            raise ValueError(f"{where}: {topic} is a FIFO topic, which delivers to SQS queues only; use a standard one")
        services = route.get("services")
        if isinstance(services, str) or not isinstance(services, Sequence) or not services:
            raise ValueError(f'{where}: services {services!r} is not a non-empty list, e.g. ["payments-*"]')
        for service in services:
            if not isinstance(service, str) or not SERVICE_PATTERN.fullmatch(service):
                raise ValueError(
                    f"{where}: {service!r} is not a service name or family:NAME (letters, digits, - and _, * for "
                    "any characters)"
                )
        entry: dict[str, Any] = {"services": tuple(services), "topicArn": topic}
        channel = route.get("slackChannelId", route.get("slack_channel_id"))
        if channel is not None:
            try:
                entry["slackChannelId"] = check_slack_channel_id(channel)
            except ValueError as error:
                raise ValueError(f"{where}: slackChannelId {error}") from None
        checked.append(entry)
    return tuple(checked)


# The channel a Fix: line puts in place of a malformed one: Slack's shape, to be replaced by the team's own.
EXAMPLE_CHANNEL_ID = "C0PAYMENTS1"
GENERIC_EXAMPLE = [{"services": ["payments-*"], "topicArn": "arn:aws:sns:eu-west-1:ACCOUNT_ID:payments-oncall"}]


def fix_example(raw: str) -> str:
    """The routes a Fix: line sets: the given ones with each malformed slackChannelId replaced, when that is all
    that is wrong; otherwise an example route, with a slackChannelId if the given routes name channels."""
    try:
        given = json.loads(raw)
    except ValueError:
        given = None
    routes = given if isinstance(given, list) and all(isinstance(route, dict) for route in given) else []
    repaired = [_with_example_channel(route) for route in routes]
    if repaired != routes:
        try:
            check_routes(repaired)
        except ValueError:
            pass
        else:
            return f"'{json.dumps(repaired)}' ({EXAMPLE_CHANNEL_ID}: your channel ID)"
    example = [dict(GENERIC_EXAMPLE[0])]
    if any("slackChannelId" in route or "slack_channel_id" in route for route in routes):
        example[0]["slackChannelId"] = EXAMPLE_CHANNEL_ID
    return f"'{json.dumps(example)}'"


def _with_example_channel(route: dict[str, Any]) -> dict[str, Any]:
    """The route with the example channel in place of a malformed slackChannelId."""
    for key in ("slackChannelId", "slack_channel_id"):
        if key in route:
            try:
                check_slack_channel_id(route[key])
            except ValueError:
                return {**route, key: EXAMPLE_CHANNEL_ID}
    return route


def topic_arns(routes: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every route's topic, once each, in order."""
    return list(dict.fromkeys(route["topicArn"] for route in routes))


def regions_of(routes: Sequence[Mapping[str, Any]]) -> set[str]:
    return {topic.split(":")[3] for topic in topic_arns(routes)}


def routes_variable(routes: Sequence[Mapping[str, Any]], chat_topics: Mapping[str, str] | None = None) -> str:
    """The handler's NOTIFY_ROUTES: the routes as compact JSON, each with its channel's chat topic if it has one.

    ``chat_topics`` maps a Slack channel ID to the ARN of its chat topic."""
    listed = []
    for route in routes:
        entry = {"services": list(route["services"]), "topicArn": route["topicArn"]}
        channel = route.get("slackChannelId")
        if channel:
            entry["chatTopicArn"] = (chat_topics or {})[channel]
        listed.append(entry)
    return json.dumps(listed, separators=(",", ":"))


def routes_policy(routes: Sequence[Mapping[str, Any]], chat_topic_arns: Sequence[str] = ()) -> str:
    """Publish to the routes' topics and their channels' chat topics, and only to them (the alarm topic and the
    stack's chat topic are the notifications policy's)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublishToTeamTopics",
                    "Effect": "Allow",
                    "Action": "sns:Publish",
                    "Resource": list(dict.fromkeys([*topic_arns(routes), *chat_topic_arns])),
                }
            ],
        }
    )
