"""What the Pulumi CLI does with ``Pulumi.yaml`` and a stack's config before the program runs.

The CLI, not the program, reads the project file: it refuses a project whose
config declarations are malformed, refuses a stack that lacks a key the
project declares without a ``default`` (or ``value``), applies the defaults,
and checks every value against its declared type. Only then does the program
see its config, every value a string (a list or an object as its JSON text).
Pulumi's mocks skip all of this, so a program that passes its unit tests can
still stop at the CLI; this model is run in front of every program run of
the tests and of the rehearsal.

Modelled on the CLI's own source, pulumi/pulumi ``sdk/go/common/workspace``:
- ``project.go``: ``RewriteShorthandConfigValues`` (a bare value under a
  project key is its default), ``Project.Validate`` (no ``default`` beside a
  ``value``; an ``array`` names its ``items``; a default has the declared type;
  keys of other namespaces take a ``value`` only), ``ValidateConfigValue``
  (what each type accepts) and ``InferFullTypeName`` (``array<string>``);
  ``project.json`` (a declaration's attributes and its types);
- ``config.go``: ``mergeConfig`` (``missingStackConfigurationKeysError``: the
  keys of the project's namespace with neither a stack value, nor a default,
  nor a value; then ``createConfigValue`` sets each default), and
  ``validateStackConfigValue`` (the type check of every explicitly typed key);
- ``pkg/cmd/pulumi`` (``up.go``, ``preview.go``): the ``validating stack
  config:`` prefix of those errors.
The test ``tests/test_pulumi_cli.py`` holds each rule to that source.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from . import ROOT

# A stack's config value as a stack file or `pulumi config set` holds it: a string, or (`--path`) a list or object.
StackValue = str | int | bool | float | list[Any] | dict[str, Any] | None
# project.json, $defs.simpleConfigType, and the attributes a configTypeDeclaration may have.
CONFIG_TYPES = ("string", "integer", "boolean", "array")
DECLARATION_ATTRIBUTES = {"type", "items", "description", "secret", "default", "value"}


class CliRefused(Exception):
    """What the CLI prints instead of running the program (``error: ...``)."""


@dataclass(frozen=True)
class Declaration:
    type: str | None
    items: Mapping[str, Any] | None
    default: Any
    value: Any
    secret: bool

    @property
    def full_type(self) -> str:
        """InferFullTypeName: array<string> for an array of strings."""
        return _full_type_name(self.type or "", self.items)


@dataclass(frozen=True)
class Project:
    name: str
    config: Mapping[str, Declaration]


def _full_type_name(type_name: str, items: Mapping[str, Any] | None) -> str:
    if items is not None:
        return f"array<{_full_type_name(items.get('type', ''), items.get('items'))}>"
    return type_name


def _is_primitive(value: Any) -> bool:
    """isPrimitiveValue: string, int and bool (YAML floats are not)."""
    return isinstance(value, str | int | bool) and not isinstance(value, float)


def value_fits(type_name: str, items: Mapping[str, Any] | None, value: Any) -> bool:
    """ValidateConfigValue: whether a value (a default, or a stack value) is of the declared type."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return value == int(value)
        # strconv.Atoi: an optional sign and ASCII digits, nothing else (no blanks, no underscores).
        return isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value) is not None
    if type_name == "boolean":
        return value in ("true", "false") or isinstance(value, bool)
    if type_name == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(value_fits(items.get("type", ""), items.get("items"), item) for item in value)


def _namespaced_by_project(project: str, key: str) -> bool:
    return ":" not in key or key.startswith(f"{project}:")


def parse_project(text: str, source: str = "Pulumi.yaml") -> Project:
    """The project as the CLI loads it, or the CLI's refusal."""
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise CliRefused(f"{source}: project is missing a non-empty string 'name' attribute")
    name = raw["name"]
    declarations: dict[str, Declaration] = {}
    for key, given in (raw.get("config") or {}).items():
        # RewriteShorthandConfigValues: a bare value is a project key's default, another namespace's value.
        shorthand = {"default": given} if _namespaced_by_project(name, key) else {"value": given}
        declarations[key] = _declaration(name, key, given if isinstance(given, dict) else shorthand, source)
    return Project(name, declarations)


def _declaration(project: str, key: str, declared: dict[str, Any], source: str) -> Declaration:
    unknown = sorted(set(declared) - DECLARATION_ATTRIBUTES)
    if unknown:
        raise CliRefused(f"{source}: #/config/{key}: additionalProperties {unknown[0]!r} not allowed")
    declaration = Declaration(
        type=declared.get("type"),
        items=declared.get("items"),
        default=declared.get("default"),
        value=declared.get("value"),
        secret=bool(declared.get("secret")),
    )
    if declaration.type is not None and declaration.type not in CONFIG_TYPES:
        raise CliRefused(f"{source}: #/config/{key}/type: value must be one of {', '.join(map(repr, CONFIG_TYPES))}")
    if declaration.default is not None and declaration.value is not None:
        raise CliRefused(f"project config '{key}' cannot have both a 'default' and 'value' attribute")
    if not _namespaced_by_project(project, key):
        if declaration.type is not None:
            raise CliRefused(f"Configuration key '{key}' is not namespaced by the project and should not define a type")
        if declaration.default is not None:
            raise CliRefused(
                f"Configuration key '{key}' is not namespaced by the project and should not define a default value. "
                "Did you mean to use the 'value' attribute instead of 'default'?"
            )
        if declaration.value is None:
            raise CliRefused(f"Configuration key '{key}' is namespaced and must provide an attribute 'value'")
        return declaration
    if declaration.type == "array" and declaration.items is None:
        raise CliRefused(
            f"The configuration key '{key}' declares an array but does not specify the underlying type via the "
            "'items' attribute"
        )
    if (
        declaration.type is not None
        and declaration.default is not None
        and not value_fits(declaration.type, declaration.items, declaration.default)
    ):
        raise CliRefused(
            f"The default value specified for configuration key '{key}' is not of the expected type "
            f"'{declaration.full_type}'"
        )
    return declaration


@cache
def project() -> Project:
    """This repository's Pulumi.yaml, as the CLI loads it."""
    return parse_project((ROOT / "Pulumi.yaml").read_text())


def _full_key(project_name: str, key: str) -> str:
    return key if ":" in key else f"{project_name}:{key}"


def as_text(value: StackValue) -> tuple[str, bool]:
    """config.Value: a stack file's scalar is held as its text, a list or an object as JSON (object=true)."""
    if isinstance(value, list | dict):
        return json.dumps(value), True
    if value is None:
        return "", False
    if isinstance(value, bool):
        return str(value).lower(), False
    return str(value), False


def config_for_program(
    stack_values: Mapping[str, StackValue], stack: str = "dev", project_: Project | None = None
) -> dict[str, str]:
    """The config the program receives for a stack holding ``stack_values``, or the CLI's refusal.

    ``stack_values`` are keyed as the stack file keys them (``ecs-task-events:clusterArn``, ``aws:region``); a bare
    key is the project's, as `pulumi config set` takes it.
    """
    proj = project_ or project()
    held = {_full_key(proj.name, key): as_text(value) for key, value in stack_values.items()}
    missing: list[str] = []
    for key in sorted(proj.config):
        declaration, full = proj.config[key], _full_key(proj.name, key)
        if full in held:
            continue
        if declaration.default is None and declaration.value is None:
            if full.split(":", 1)[0] == proj.name:
                missing.append(key)
            continue
        chosen = declaration.default if declaration.default is not None else declaration.value
        # createConfigValue: a primitive as fmt's %v prints it, anything else as JSON.
        held[full] = as_text(chosen) if _is_primitive(chosen) or chosen is None else (json.dumps(chosen), True)
    if missing:
        raise CliRefused(f"validating stack config: {_missing_keys_error(missing, stack)}")
    for key in sorted(proj.config):
        declaration, full = proj.config[key], _full_key(proj.name, key)
        if declaration.type is None or full not in held:
            continue
        text, is_object = held[full]
        if declaration.secret:
            raise CliRefused(
                f"validating stack config: Stack '{stack}' with configuration key '{key}' must be encrypted as it's "
                "secret"
            )
        content: Any = json.loads(text) if is_object else text
        if not value_fits(declaration.type, declaration.items, content):
            raise CliRefused(
                f"validating stack config: Stack '{stack}' with configuration key '{key}' must be of type "
                f"'{declaration.full_type}'"
            )
    return {key: text for key, (text, _) in held.items()}


def _missing_keys_error(keys: list[str], stack: str) -> str:
    """missingStackConfigurationKeysError with formatMissingKeys: sorted, quoted, 'and' before the last."""
    if len(keys) == 1:
        return f"Stack '{stack}' is missing configuration value '{keys[0]}'"
    listed = ", ".join(f"'{key}'" for key in keys[:-2])
    listed = f"{listed}, " if listed else ""
    return f"Stack '{stack}' is missing configuration values {listed}'{keys[-2]}' and '{keys[-1]}'"


def stack_file_values(text: str, source: str = "the stack file") -> dict[str, StackValue]:
    """The ``config:`` block of a stack file (``Pulumi.<stack>.yaml``) as the CLI holds it.

    config.Value unmarshals a scalar into a string first, so a scalar keeps its text as written (``True`` stays
    ``True``, which the boolean type then refuses); only a list or a map is a structured (object) value.
    """
    document = yaml.compose(text)
    config = None
    if isinstance(document, yaml.MappingNode):
        config = next((value for key, value in document.value if key.value == "config"), None)
    if config is None:
        return {}
    if not isinstance(config, yaml.MappingNode):
        raise CliRefused(f"{source}: 'config' must be a map of keys to values")
    values: dict[str, StackValue] = {}
    for key, node in config.value:
        if isinstance(node, yaml.ScalarNode):
            values[key.value] = "" if node.tag == "tag:yaml.org,2002:null" else node.value
        else:
            values[key.value] = yaml.SafeLoader("").construct_object(node, deep=True)
    return values


def config_command(values: Mapping[str, StackValue], command: str, project_name: str = "") -> dict[str, StackValue]:
    """The stack's config after one `pulumi config set|rm [--path] KEY [VALUE]` command, as the CLI stores it.

    A plain `set` stores the value as a string; `--path 'KEY[N]'` sets or removes entry N of a list (entry N may be
    one past the end, to append).
    """
    name = project_name or project().name
    words = shlex.split(command)
    if words[:2] != ["pulumi", "config"] or len(words) < 4 or words[2] not in ("set", "rm"):
        raise ValueError(f"not a `pulumi config set|rm` command: {command!r}")
    verb, by_path = words[2], "--path" in words
    rest = [word for word in words[3:] if word != "--path"]
    held = dict(values)
    if not by_path:
        full = _full_key(name, rest[0])
        if verb == "rm":
            held.pop(full, None)
        else:
            held[full] = rest[1]
        return held
    match = re.fullmatch(r"([\w:]+)\[(\d+)\]", rest[0])
    if match is None:
        raise ValueError(f"{command!r}: only KEY[N] paths are modelled")
    full, index = _full_key(name, match[1]), int(match[2])
    current = held.get(full, [])
    if not isinstance(current, list) or index > len(current) or (verb == "rm" and index == len(current)):
        raise CliRefused(f"{command}: {match[1]} has no entry {index} to {verb}")
    items = list(current)
    if verb == "rm":
        del items[index]
    else:
        items[index : index + 1] = [rest[1]]
    held[full] = items
    return held
