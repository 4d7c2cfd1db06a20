"""Strip credentials from an application's log line before it goes into a message.

Two layers: a line that is a JSON object goes through handler/redact.py first (the same rule as the event's
environment overrides: every ``environment`` value dropped, names kept); then every line, JSON or not, loses what
commonly turns up in application logs: a URL's password (``postgres://app:PASSWORD@db``), a bearer token, an AWS
access key id or secret key, and the value of any ``password=``, ``secret:``, ``token=``, ``api_key=`` pair.
Each is replaced by the same marker redact.py writes, so a reader sees one word for "there was a secret here".
"""

from __future__ import annotations

import json
import re

from .redact import REDACTED, redact_event

# Each pattern runs in time linear in the line (up to 256 KB): a match starts only where a run begins, and nothing
# is read twice (possessive and atomic, Python 3.11+). tests/test_log_redact.py: same output as the plain forms.
# scheme://user:password@host -> scheme://user:***redacted***@host
URL_PASSWORD = re.compile(
    r"(?P<keep>(?<![A-Za-z0-9+.-])(?>\b[A-Za-z]|[A-Za-z0-9+.-]*?[.+-][A-Za-z])[A-Za-z0-9+.-]*+://[^\s/:@]*+:)"
    r"[^\s/@]++(?=@)"
)
# Authorization: Bearer <token> (RFC 6750's b64token alphabet)
AUTH_HEADER = re.compile(r"(?P<keep>\bBearer\s+)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
# AWS access key ids (AKIA long-term, ASIA temporary: "Understanding unique ID prefixes", IAM User Guide).
ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b")
# key=value, key: value, "key": "value" for keys that name a secret (password, secret, token, api key, ...).
SECRET_PAIR = re.compile(
    r"(?P<keep>(?P<q>[\"']?)(?<![\w.-])"
    r"(?=[\w.-]*?(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|credential))[\w.-]*+"
    r"(?P=q)\s*[=:]\s*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;&\"'}]+)",
    re.IGNORECASE,
)
# A 40-character AWS secret access key on its own (base64 alphabet), next to a word that says what it is.
SECRET_KEY_NEARBY = re.compile(r"(?P<keep>\baws[\w ]{0,20}?\s)[A-Za-z0-9/+]{40}\b", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def redact_line(line: str) -> str:
    """The line with every credential the rules know replaced by the marker; control characters dropped."""
    text = _redact_json(line)
    text = URL_PASSWORD.sub(lambda m: m.group("keep") + REDACTED, text)
    text = AUTH_HEADER.sub(lambda m: m.group("keep") + REDACTED, text)
    text = SECRET_PAIR.sub(_pair, text)
    text = ACCESS_KEY_ID.sub(REDACTED, text)
    text = SECRET_KEY_NEARBY.sub(lambda m: m.group("keep") + REDACTED, text)
    return CONTROL.sub(" ", text)


def _pair(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group('keep')}{quote}{REDACTED}{quote}"


def _redact_json(line: str) -> str:
    """A JSON object's line, through redact_event; any other line as it is."""
    stripped = line.strip()
    if not stripped.startswith("{"):
        return line
    try:
        parsed = json.loads(stripped)
    except ValueError:
        return line
    if not isinstance(parsed, dict):
        return line
    try:
        return json.dumps(redact_event(parsed), separators=(",", ":"), ensure_ascii=False)
    except RecursionError:
        return REDACTED
