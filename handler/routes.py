"""Which topic a message goes to: the first route whose services match, else the alarm topic.

``NOTIFY_ROUTES`` holds the routes as components/routes.py writes them: ``[{"services": [...], "topicArn": ...}]``,
services as names or ``family:NAME``, ``*`` matching any characters (and nothing else special); a route with a
Slack channel of its own also has ``chatTopicArn``, where its chat format goes instead of the stack's chat topic.
The window that holds back a crash loop's messages is the service's, whichever route it takes (handler/notify.py,
window_key).
"""

from __future__ import annotations

import json
import os
import re

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from typing import Any

ROUTES_ENV = "NOTIFY_ROUTES"


def configured_routes(environ: Any = None) -> list[tuple[re.Pattern[str], str, str | None]]:
    """(one pattern for all a route's services, topic ARN, chat topic ARN or None) per well-formed route; [] when
    unset or unreadable."""
    raw = (os.environ if environ is None else environ).get(ROUTES_ENV) or ""
    try:
        listed = json.loads(raw) if raw else []
    except ValueError:
        return []
    routes = []
    for route in listed if isinstance(listed, list) else []:
        services = route.get("services") if isinstance(route, dict) else None
        topic = route.get("topicArn") if isinstance(route, dict) else None
        if isinstance(topic, str) and isinstance(services, list):
            names = [name for name in services if isinstance(name, str) and name]
            chat = route.get("chatTopicArn")
            if names:
                pattern = re.compile("|".join(_wildcard(name) for name in names))
                routes.append((pattern, topic, chat if isinstance(chat, str) and chat else None))
    return routes


def _wildcard(name: str) -> str:
    return "(?:" + ".*".join(re.escape(part) for part in name.split("*")) + ")"


def topic_for(who: str | None, routes: list[tuple[re.Pattern[str], str, str | None]], fallback: str) -> str:
    """The topic of the first route that matches ``who`` (a service name, or 'family:NAME'), else ``fallback``."""
    if who:
        for pattern, topic, *_ in routes:
            if pattern.fullmatch(who):
                return topic
    return fallback


def chat_topic_for(
    who: str | None, routes: list[tuple[re.Pattern[str], str, str | None]], fallback: str | None
) -> str | None:
    """The chat topic of the first route that matches ``who`` if that route has a channel of its own, else
    ``fallback`` (the stack's chat topic, or None without a Slack channel)."""
    if who:
        for pattern, _, chat in routes:
            if pattern.fullmatch(who):
                return chat or fallback
    return fallback
