"""Config problems in the rehearsal's terms: ``--config KEY=VALUE`` where a deployment says ``pulumi config set``.

The program's messages name the commands that fix a real stack; in the rehearsal the same stack is the stack file
plus the ``--config`` overrides, so each command is said as the override that does the same. Keys of the AWS
provider's namespace are checked here as the provider checks them: a bridged provider's CheckConfig refuses a key
it does not know ("`aws:regoin` is not a valid configuration key for the aws provider", pulumi/pulumi-terraform-bridge,
``pkg/tfbridge/provider.go``, tested in ``provider_test.go``, TestCheckConfig), so `pulumi up` stops on it; the
known keys are the installed provider SDK's (``pulumi_aws/config/vars.py``).
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import util
from pathlib import Path

from .pulumi_cli import StackValue, project

PROJECT = "ecs-task-events"
_VALUE = r"('[^']*'|\"[^\"]*\"|[^\s,()]+)"
_SET_PATH = re.compile(rf"pulumi config set --path '(\w+)\[(\d+)\]' {_VALUE}")
_RM_PATH = re.compile(r"pulumi config rm --path '(\w+)\[(\d+)\]'")
_SET = re.compile(rf"pulumi config set ([\w:]+) {_VALUE}")
_RM = re.compile(r"pulumi config rm ([\w:]+)")


def _default_text(key: str) -> str | None:
    """Pulumi.yaml's default for a project key, as ``--config`` takes it; None for a key it does not declare."""
    declaration = project().config.get(key) or project().config.get(f"{PROJECT}:{key}")
    if declaration is None:
        return None
    default = declaration.default
    if isinstance(default, list | dict):
        return shlex.quote(json.dumps(default))
    return shlex.quote(str(default).lower() if isinstance(default, bool) else str(default)) if default != "" else ""


def in_rehearsal_terms(message: str, stack_file: str) -> str:
    """``message`` with each `pulumi config` command said as the rehearsal's ``--config`` that does the same."""
    text = _SET_PATH.sub(lambda m: f"--config '{m[1]}[{m[2]}]={_unquoted(m[3])}'", message)
    text = _RM_PATH.sub(lambda m: f"leave entry [{m[2]}] out of --config {m[1]}='[...]'", text)
    text = _SET.sub(lambda m: f"--config {m[1]}={m[2]}", text)

    def removed(match: re.Match[str]) -> str:
        key = match[1]
        default = _default_text(key)
        if default is None:
            return f"leave out --config {key}=... (or remove {key} from {stack_file})"
        return f"--config {key}={default}"

    text = _RM.sub(removed, text)
    # Overrides go side by side on one command line; any other step comes before them.
    text = re.sub(r"(--config \S+) && (?=--config)", r"\1 ", text)
    text = text.replace(" && ", ", then ")
    typed = _WRONG_TYPE.search(text)
    if typed:
        text += f" Fix: --config {typed[1]}={_EXAMPLES.get(typed[2], 'VALUE').format(key=typed[1])}"
    return text


# The CLI's type check (rehearse/pulumi_cli.py), and a value of each type as --config takes it.
_WRONG_TYPE = re.compile(r"configuration key '(\w+)' must be of type '([\w<>]+)'")
_EXAMPLES = {
    "integer": "30",
    "boolean": "true",
    "string": "TEXT",
    "array<string>": (
        "'[\"arn:aws:ecs:REGION:ACCOUNT_ID:cluster/NAME\"]' (a JSON list), or --config '{key}[0]=VALUE' per entry"
    ),
}


def _unquoted(value: str) -> str:
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" else value


@cache
def provider_keys() -> frozenset[str]:
    """The aws: keys the installed provider declares (``__config__.get('KEY')`` and its typed variants)."""
    spec = util.find_spec("pulumi_aws")
    assert spec is not None and spec.origin is not None, "pulumi_aws is a requirement"
    source = (Path(spec.origin).parent / "config" / "vars.py").read_text()
    return frozenset(re.findall(r"__config__\.get(?:_bool|_int|_float|_object)?\('(\w+)'", source))


def unknown_provider_keys(config: Mapping[str, StackValue], given: Iterable[str], stack_file: str) -> list[str]:
    """One line per aws: key the AWS provider does not know, as the program words an unknown key of its own.

    ``given`` are the keys that came from ``--config``; the others came from the stack file.
    """
    overrides = set(given)
    lines = []
    for full in sorted(config):
        namespace, _, key = full.partition(":")
        if namespace != "aws" or key in provider_keys():
            continue
        value = config[full]
        closest = next(iter(difflib.get_close_matches(key, sorted(provider_keys()), n=1, cutoff=0.7)), None)
        guess = f"; did you mean aws:{closest}?" if closest else "."
        shown = shlex.quote(str(value))
        drop = f"leave out --config {full}" if full in overrides else f"remove {full} from {stack_file}"
        fix = f"--config aws:{closest}={shown} (and {drop})" if closest else drop
        lines.append(
            f"{full} = {value!r}: the AWS provider has no setting {key!r}, so `pulumi up` would stop (the "
            f"provider refuses keys of its namespace it does not know){guess} Fix: {fix}"
        )
    return lines
