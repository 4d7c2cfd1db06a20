"""Links that open a logger's pages in the CloudWatch console in one click.

The console has no documented URL format; these are the formats the console
itself writes into the address bar (the tests decode them back and compare
them with a link the console made; sources in ``tests/test_dashboard.py``):

- a dashboard: ``…/cloudwatch/home?region=R#dashboards:name=NAME``;
- a log group: ``…#logsV2:log-groups/log-group/NAME``, the name URI-encoded
  twice and every ``%`` then written ``$`` (``/`` is ``$252F``);
- Logs Insights with a query loaded: ``…#logsV2:logs-insights`` then
  ``?queryDetail=`` and the query's settings as a JSURL-like object
  (``~(key~value~…)``, strings start with ``'``, lists are ``(~a~b)``), each
  string's characters other than letters, digits, ``-`` and ``.`` written
  ``*xx`` (hex of the UTF-8 bytes), the whole JavaScript-``escape()``d, then
  URI-encoded and every ``%`` written ``$``.

Pure functions of strings, so that tests need no AWS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

# The console's host per partition (the partition is the second field of any ARN).
CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}
# What JavaScript's encodeURIComponent leaves alone besides letters, digits and "-_.~" (which quote never encodes).
_URI_COMPONENT_SAFE = "!*'()"
# What JavaScript's escape() leaves alone besides letters and digits.
_ESCAPE_SAFE = frozenset("@*_+-./")
# Logs Insights opens on this window: the last 24 hours, relative to now.
INSIGHTS_WINDOW_SECONDS = 24 * 3600


def cloudwatch_home(region: str, partition: str = "aws") -> str:
    return f"https://{region}.{CONSOLE_HOSTS[partition]}/cloudwatch/home?region={region}"


def dashboard_url(region: str, dashboard_name: str, partition: str = "aws") -> str:
    return f"{cloudwatch_home(region, partition)}#dashboards:name={dashboard_name}"


def log_group_url(region: str, log_group_name: str, partition: str = "aws") -> str:
    return f"{cloudwatch_home(region, partition)}#logsV2:log-groups/log-group/{_twice_encoded(log_group_name)}"


def logs_insights_url(
    region: str,
    log_group_names: Sequence[str],
    query: str,
    partition: str = "aws",
    window_seconds: int = INSIGHTS_WINDOW_SECONDS,
) -> str:
    """Logs Insights on these log groups with ``query`` in the editor, over the last ``window_seconds``."""
    detail = jsurl(
        {
            "end": 0,
            "start": -window_seconds,
            "timeType": "RELATIVE",
            "unit": "seconds",
            "editorString": query,
            "isLiveTail": False,
            "source": list(log_group_names),
        }
    )
    fragment = _uri_component("?queryDetail=" + _js_escape(detail)).replace("%", "$")
    return f"{cloudwatch_home(region, partition)}#logsV2:logs-insights{fragment}"


def jsurl(value: object) -> str:
    """The console's object notation: ``~(key~value~…)``, lists ``~(~a~b)``, strings ``'…`` with ``*xx`` escapes."""
    return "~" + _jsurl_body(value)


def _jsurl_body(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + _star_escaped(value)
    if isinstance(value, Mapping):
        return "(" + "~".join(f"{key}~{_jsurl_body(item)}" for key, item in value.items()) + ")"
    if isinstance(value, (list, tuple)):
        return "(" + "".join(f"~{_jsurl_body(item)}" for item in value) + ")"
    raise TypeError(f"no console notation for {type(value).__name__}")


def _star_escaped(text: str) -> str:
    """Letters, digits, '-' and '.' as they are; every other UTF-8 byte as '*xx' (as the console writes them)."""
    out = []
    for char in text:
        if char.isascii() and (char.isalnum() or char in "-."):
            out.append(char)
        else:
            out.extend(f"*{byte:02x}" for byte in char.encode())
    return "".join(out)


def _js_escape(text: str) -> str:
    """JavaScript's escape() for ASCII text: %XX for everything but letters, digits and @*_+-./."""
    return "".join(
        char if char.isascii() and (char.isalnum() or char in _ESCAPE_SAFE) else f"%{ord(char):02X}" for char in text
    )


def _uri_component(text: str) -> str:
    """JavaScript's encodeURIComponent."""
    return quote(text, safe=_URI_COMPONENT_SAFE)


def _twice_encoded(text: str) -> str:
    return _uri_component(_uri_component(text)).replace("%", "$")
