"""The redaction finds what its plain patterns find, in time linear in the text's length.

A CloudWatch Logs event may be 256 KB ("CloudWatch Logs quotas", CloudWatch Logs User Guide), and an application
may log a long run of word characters (a base64 blob, a minified document). The plain patterns below backtrack:
on such a line they take time quadratic in its length, or worse (a 4 KB run of "token" takes over a minute), and the
function would time out before it sent its message. handler/log_redact.py's patterns try a match only where a run
begins and never read a character twice (possessive quantifiers and atomic groups, Python 3.11+: "re — Regular
expression operations", Python documentation). bench/redaction.py measures the time per character at 1 KB and at
64 KB; these tests show that the output is the plain patterns' own. The same holds for the names and values of a
command's secret flags and variables (handler/redact.py), which a JSON log line's "command" reaches too.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from handler import log_redact, redact
from handler.log_redact import REDACTED, redact_line

# The patterns as first written: what each must find, read with backtracking.
PLAIN_URL_PASSWORD = re.compile(r"(?P<keep>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:)[^\s/@]+(?=@)")
PLAIN_SECRET_PAIR = re.compile(
    r"(?P<keep>(?P<q>[\"']?)[\w.-]*(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|credential)[\w.-]*"
    r"(?P=q)\s*[=:]\s*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;&\"'}]+)",
    re.IGNORECASE,
)
# What the patterns start with, end with and stop at, so that the lines drawn hold near-misses of every kind.
FRAGMENTS = [
    *("password", "passwd", "PWD", "token", "Secret", "api_key", "api-key", "ApiKey", "access_key", "credential"),
    *("postgres", "mongodb+srv", "a", "Z9", "é", "1", "_", ".", "-", "+", "://", ":", "@", "/", "=", " ", "\t"),
    *('"', "'", ",", ";", "&", "}", "{", "Bearer ", "aws secret ", "AKIAIOSFODNN7EXAMPLE", "x" * 40),
]
lines = st.lists(st.sampled_from(FRAGMENTS), max_size=16).map("".join)


def plain_redact_line(line: str) -> str:
    """redact_line with the plain patterns in place of the linear ones."""
    text = log_redact._redact_json(line)
    text = PLAIN_URL_PASSWORD.sub(lambda m: m.group("keep") + REDACTED, text)
    text = log_redact.AUTH_HEADER.sub(lambda m: m.group("keep") + REDACTED, text)
    text = PLAIN_SECRET_PAIR.sub(log_redact._pair, text)
    text = log_redact.ACCESS_KEY_ID.sub(REDACTED, text)
    text = log_redact.SECRET_KEY_NEARBY.sub(lambda m: m.group("keep") + REDACTED, text)
    return log_redact.CONTROL.sub(" ", text)


@settings(max_examples=400, deadline=None)
@given(lines)
def test_the_linear_patterns_redact_exactly_what_the_plain_ones_do(line: str) -> None:
    assert redact_line(line) == plain_redact_line(line)


def test_the_cases_where_the_match_starts_inside_a_run_are_the_plain_patterns_own() -> None:
    """Where the plain patterns' match starts after a quote or inside a run of scheme characters."""
    cases = {
        'x"password": "v"': f'x"password": "{REDACTED}"',
        "my.db-password=abc": f"my.db-password={REDACTED}",
        "-a.b://u:p@h": f"-a.b://u:{REDACTED}@h",
        "1a.postgres://u:p@h": f"1a.postgres://u:{REDACTED}@h",
        "_postgres://u:p@h": "_postgres://u:p@h",  # no word boundary before the scheme: not a URL to either
        "jdbc:postgresql://u:p@h": f"jdbc:postgresql://u:{REDACTED}@h",
    }
    assert {line: redact_line(line) for line in cases} == cases
    assert all(plain_redact_line(line) == redacted for line, redacted in cases.items())


def test_a_secret_after_a_long_run_is_redacted() -> None:
    """64 KB runs that the plain patterns read for minutes; the secret at the end is still found."""
    for run in ("x" * 65536, "token" * 13107, "a." * 32768):
        line = f"{run} password=hunter2 postgres://app:s3cret@db"
        redacted = redact_line(line)
        assert "hunter2" not in redacted and "s3cret" not in redacted
        assert redacted == f"{run} password={REDACTED} postgres://app:{REDACTED}@db"


# handler/redact.py's name patterns as first written.
PARTS, ENDINGS = redact.SECRET_NAME_PARTS, redact.SECRET_NAME_ENDINGS
PLAIN_SECRET_NAME = re.compile(rf"(?i)^-*[\w.-]*(?:(?:{PARTS})[\w.-]*|(?:{ENDINGS}))$")
PLAIN_FLAG = rf"(?<![\w-])--?(?=[a-z])[\w.-]*?(?:(?:{PARTS})[\w.-]*|(?:{ENDINGS}))(?:=|[ \t]+)"
PLAIN_VARIABLE = rf"(?<![\w.-])(?=[a-z_])[\w.]*?(?:(?:{PARTS})[\w.]*|(?:{ENDINGS}))="
PLAIN_SECRET_ASSIGNMENT = re.compile(rf"(?i)(?:{PLAIN_FLAG}|{PLAIN_VARIABLE}){redact._VALUE}")
COMMAND_FRAGMENTS = [
    *("password", "token", "secret", "api", "key", "-key", "_key", "API-KEY", "private-key", "pass", "auth", "pwd"),
    *("-", "--", ".", "=", " ", "\t", '"', "'", "x", "db", "_", "1", "é", "!", "migrate", "sh -c "),
]
commands = st.lists(st.sampled_from(COMMAND_FRAGMENTS), max_size=14).map("".join)


@settings(max_examples=400, deadline=None)
@given(commands)
def test_a_commands_secrets_are_found_exactly_as_the_plain_patterns_find_them(text: str) -> None:
    assert redact.redact_text(text) == PLAIN_SECRET_ASSIGNMENT.sub(redact._redacted_assignment, text)
    assert redact.is_secret_name(text) == (PLAIN_SECRET_NAME.match(text) is not None)


def test_a_flag_after_a_dot_and_a_variable_with_a_dashed_part_are_the_plain_patterns_own() -> None:
    text = "x.--password=abc migrate --token v --db-pass=q API-KEY=zz TOKEN_API-KEY=w a.-secret=1 --to latest"
    expected = (
        f"x.--password={REDACTED} migrate --token {REDACTED} --db-pass={REDACTED} API-KEY={REDACTED} "
        f"TOKEN_API-KEY={REDACTED} a.-secret={REDACTED} --to latest"
    )
    assert redact.redact_text(text) == expected == PLAIN_SECRET_ASSIGNMENT.sub(redact._redacted_assignment, text)


def test_a_long_command_is_redacted_in_one_pass() -> None:
    """Runs that the plain patterns read again from every position (an 8 KB one for over a second)."""
    for run in (".-a" * 2730, "--token" * 1170, "token" * 1638):
        text = f"{run}! --password hunter2"
        assert redact.redact_text(text) == f"{run}! --password {REDACTED}"
        assert not redact.is_secret_name(f"-{run}!")
