"""Strip secrets from an event before any part of it is logged whole.

RunTask overrides carry environment variables (database URLs, tokens) in
``detail.overrides.containerOverrides[].environment`` and a command in
``...containerOverrides[].command``. Environment values must never reach the
logs; their names may, because they help debugging. A command stays readable,
but the value of a flag or an assignment with a secret-like name does not:
``--password x``, ``--api-key=x``, ``DB_PASSWORD=x``, also inside one string
(``sh -c "migrate --password x"``). The rules apply to every ``environment``
and ``command`` key anywhere in the event, whatever its shape, so a malformed
or unexpected event cannot smuggle a value past them.

The pieces compose: ``redact_text`` redacts one free-text string and
``redact_command`` one argument list; a redaction of log lines can run its own
patterns before or after ``redact_text``.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing would cost every cold start
    from typing import Any


REDACTED = "***redacted***"
SECRET_KEYS = frozenset({"environment"})
COMMAND_KEYS = frozenset({"command"})

# Parts of a name that mark its value secret, in any case ("DB_PASSWORD", "--api-key", "apiKey"), and endings that
# do ("DB_PASS", "--basic-auth").
SECRET_NAME_PARTS = r"password|passwd|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential"
SECRET_NAME_ENDINGS = r"pass|auth"
# Linear in the text (a log line's "command" comes here): a name is read once. tests/test_log_redact.py.
_SECRET_NAME = re.compile(rf"(?i)^-*(?=[\w.-]*?(?:{SECRET_NAME_PARTS})|[\w.-]*?(?:{SECRET_NAME_ENDINGS})$)[\w.-]*+$")
# A variable's name has a dash only inside a part ("API-KEY").
_UNDASHED_PARTS = SECRET_NAME_PARTS.replace("[-_]?", "_?")
_DASHED_PARTS = "|".join(part.replace("[-_]?", "-") for part in SECRET_NAME_PARTS.split("|") if "[-_]?" in part)

# In one string: a secret-named flag and its value (``--name=value`` or ``--name value``), or a secret-named
# assignment (``NAME=value``). A value is a quoted string or a run of anything but blanks (a password may start
# with '-'). Only secret names can match, so ``--to latest`` is never taken for a flag's value.
_VALUE = r"""(?P<value>"[^"]*"|'[^']*'|[^\s"']+)"""
# The match starts with the flag's run of [\w.-] and commits to its first flag dash (a later one's name is a tail).
_FLAG = (
    r"(?<![\w.-])(?>[\w.-]*?(?<![\w-])--?(?=[a-z]))"
    rf"(?=[\w.-]*?(?:{SECRET_NAME_PARTS})|[\w.-]*?(?:{SECRET_NAME_ENDINGS})(?![\w.-]))[\w.-]*+(?:=|[ \t]+)"
)
_VARIABLE = (
    rf"(?<![\w.-])(?=[a-z_])(?:(?=[\w.]*?(?:{_UNDASHED_PARTS})|[\w.]*?(?:{SECRET_NAME_ENDINGS})=)[\w.]*+="
    rf"|[\w.]*?(?:{_DASHED_PARTS})[\w.]*+=)"
)
_SECRET_ASSIGNMENT = re.compile(rf"(?i)(?:{_FLAG}|{_VARIABLE}){_VALUE}")


def is_secret_name(name: str) -> bool:
    """Whether a flag or variable called ``name`` carries a secret (``--password``, ``API_TOKEN``, ``dbPass``)."""
    return _SECRET_NAME.match(name) is not None


def _redacted_assignment(match: re.Match[str]) -> str:
    return match[0][: match.start("value") - match.start()] + REDACTED


def redact_text(text: str) -> str:
    """One free-text string with the value of every secret-named flag or assignment replaced."""
    return _SECRET_ASSIGNMENT.sub(_redacted_assignment, text)


def redact_command(command: Any) -> Any:
    """A command override (a list of arguments, or one string) with secret values replaced, names kept."""
    if isinstance(command, str):
        return redact_text(command)
    if isinstance(command, dict):
        return {str(key): redact_command(value) for key, value in command.items()}
    if not isinstance(command, list):
        return redact_event(command)
    redacted: list[Any] = []
    secret_follows = False
    for argument in command:
        # After "--password" alone comes its value, whatever it looks like.
        redacted.append(REDACTED if secret_follows else redact_command(argument))
        secret_follows = isinstance(argument, str) and argument.startswith("-") and "=" not in argument
        secret_follows = secret_follows and is_secret_name(argument)
    return redacted


def redact_event(event: Any) -> Any:
    """A JSON-safe copy of ``event`` with every environment value and every command's secrets replaced."""
    if isinstance(event, dict):
        return {
            str(key): _redact_environment(value)
            if key in SECRET_KEYS
            else redact_command(value)
            if key in COMMAND_KEYS
            else redact_event(value)
            for key, value in event.items()
        }
    if isinstance(event, list):
        return [redact_event(item) for item in event]
    if event is None or isinstance(event, (str, int, float, bool)):
        return event
    return str(event)


def _redact_environment(value: Any) -> Any:
    """Keep variable names, drop everything else."""
    if isinstance(value, list):
        return [_redact_variable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): REDACTED for key in value}
    return REDACTED


def _redact_variable(item: Any) -> Any:
    if isinstance(item, dict):
        name = item.get("name")
        kept: dict[str, Any] = {"name": name} if isinstance(name, str) else {}
        kept.update({str(key): REDACTED for key in item if key != "name" or not isinstance(name, str)})
        return kept
    return REDACTED
