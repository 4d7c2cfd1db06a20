"""Each team its own topic: ``routes`` sends a service's messages to its team's SNS topic instead of the alarm topic.

A route is ``{"services": [...], "topicArn": "..."}``; ``services`` holds service names, or ``family:NAME`` for
tasks started outside a service, with ``*`` matching any characters. The first route whose services match takes
the message; a message no route takes goes to the alarm topic. The function may publish to exactly these topics.
handler/routes.py reads the same list from the function's environment.

No ``from __future__ import annotations``: Pulumi's analyzer reads RouteArgs' annotations at runtime for the
package schema.
"""

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

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
        unknown = set(route) - {"services", "topicArn", "topic_arn"}
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; a route has services and topicArn")
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
        checked.append({"services": tuple(services), "topicArn": topic})
    return tuple(checked)


def topic_arns(routes: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every route's topic, once each, in order."""
    return list(dict.fromkeys(route["topicArn"] for route in routes))


def regions_of(routes: Sequence[Mapping[str, Any]]) -> set[str]:
    return {topic.split(":")[3] for topic in topic_arns(routes)}


def routes_variable(routes: Sequence[Mapping[str, Any]]) -> str:
    """The handler's NOTIFY_ROUTES: the routes as compact JSON."""
    listed = [{"services": list(route["services"]), "topicArn": route["topicArn"]} for route in routes]
    return json.dumps(listed, separators=(",", ":"))


def routes_policy(routes: Sequence[Mapping[str, Any]]) -> str:
    """Publish to the routes' topics, and only to them (the alarm topic is the notifications policy's)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublishToTeamTopics",
                    "Effect": "Allow",
                    "Action": "sns:Publish",
                    "Resource": topic_arns(routes),
                }
            ],
        }
    )
