"""Write what is derived from EcsTaskEventLoggerArgs: the package schema, Pulumi.yaml, the config table.

The config table is docs/configuration.md's.

    .venv/bin/python -m components.generate           # rewrite the three files
    .venv/bin/python -m components.generate --check   # exit 1 and name the files that differ

``tests/test_package.py`` fails when a checked-in file differs from what this renders.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

from .package import schema
from .settings import Declared, without_default
from .stack_config import STACK_KEYS, STACK_SETTINGS, declaration

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_JSON = ROOT / "provider" / "schema.json"
PULUMI_YAML = ROOT / "Pulumi.yaml"
CONFIG_PAGE = ROOT / "docs" / "configuration.md"
TABLE_START = "<!-- config table: generated from EcsTaskEventLoggerArgs by `python -m components.generate` -->"
TABLE_END = "<!-- end of config table -->"

PROJECT_HEADER = """\
name: ecs-task-events
description: Logs every state change of your ECS tasks, and why a task never started or died, to CloudWatch Logs.
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: .venv
# Generated from EcsTaskEventLoggerArgs (components/event_logger.py) by `python -m components.generate`;
# the clusterArn, clusterArns and allClusters keys come from components/stack_config.py (STACK_KEYS).
config:
"""
YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def render_schema() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def config_description(setting: Declared) -> str:
    text = without_default(setting.description)
    return f"{text} {setting.config_note}" if setting.config_note else text


def config_declarations() -> dict[str, dict[str, Any]]:
    """Pulumi.yaml's config block: every key with its type, default (when it has one) and description."""
    block: dict[str, dict[str, Any]] = {}
    for stack_key in STACK_KEYS:
        block[stack_key.key] = {**stack_key.declaration, "description": stack_key.description}
    for setting in STACK_SETTINGS:
        block[setting.key] = {**declaration(setting), "description": config_description(setting)}
    return block


def _scalar(value: Any) -> str:
    """A YAML scalar: a word as it is, any other string quoted."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return json.dumps(value)
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", value) and value.lower() not in YAML_WORDS:
        return str(value)
    return json.dumps(value)


def render_pulumi_yaml() -> str:
    lines = [PROJECT_HEADER.rstrip("\n")]
    for key, declared_key in config_declarations().items():
        lines.append(f"  {key}:")
        for name, value in declared_key.items():
            if name == "description":
                lines.append("    description: >-")
                lines += textwrap.wrap(value, 112, initial_indent="      ", subsequent_indent="      ")
            elif isinstance(value, dict):
                lines.append(f"    {name}:")
                lines += [f"      {inner}: {_scalar(item)}" for inner, item in value.items()]
            else:
                lines.append(f"    {name}: {_scalar(value)}")
    return "\n".join(lines) + "\n"


def _readme_default(setting: Declared) -> str:
    if setting.default_text is not None:
        return setting.default_text
    value = declaration(setting)["default"]
    return f"`{_scalar(value) if not isinstance(value, str) else value}`"


def render_config_table() -> str:
    rows = ["| key | default | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{key.key}` | {key.default_text} | {key.description} |" for key in STACK_KEYS]
    rows += [
        f"| `{setting.key}` | {_readme_default(setting)} | {config_description(setting)} |"
        for setting in STACK_SETTINGS
    ]
    return "\n".join([TABLE_START, *rows, TABLE_END])


def render_readme(readme: str) -> str:
    """The configuration page with its config table replaced by the rendered one."""
    start, end = readme.index(TABLE_START), readme.index(TABLE_END) + len(TABLE_END)
    return readme[:start] + render_config_table() + readme[end:]


def rendered() -> dict[Path, str]:
    return {
        SCHEMA_JSON: render_schema(),
        PULUMI_YAML: render_pulumi_yaml(),
        CONFIG_PAGE: render_readme(CONFIG_PAGE.read_text()),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m components.generate",
        description="Write Pulumi.yaml's config block, docs/configuration.md's config table and provider/schema.json "
        "from EcsTaskEventLoggerArgs.",
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 and name the files that differ")
    options = parser.parse_args(argv)
    stale = [path for path, text in rendered().items() if not path.exists() or path.read_text() != text]
    if options.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} differs from EcsTaskEventLoggerArgs; run python -m components.generate")
        return 1 if stale else 0
    for path, text in rendered().items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
