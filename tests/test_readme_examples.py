"""The README's examples for other languages, held to the package schema (provider/schema.json).

Each example's argument names must be inputs of the component, its outputs outputs, and the values of the type the
schema declares, written the way each language's generated SDK takes them: a plain input is a plain value
(Go ``*int`` as ``pulumi.IntRef``, C# ``int?``), an input that may be an output is an ``Input``. Names follow the
SDK generators' casing: camelCase in TypeScript and YAML, PascalCase in Go and C#.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from user_docs import user_docs

from components.package import PACKAGE_VERSION, schema
from components.stack_config import CONFIG_KEYS, STACK_KEYS
from rehearse import ROOT

SECTION = "## Use it from TypeScript, Go, C#, YAML"
TOKEN = "ecs-task-events:index:EcsTaskEventLogger"


def section() -> str:
    readme = user_docs()
    start = readme.index(SECTION)
    return readme[start : readme.index("\n## ", start + len(SECTION))]


def block(language: str) -> str:
    found = re.findall(rf"```{language}\n(.*?)```", section(), re.DOTALL)
    assert len(found) == 1, f"one {language} example in {SECTION!r}"
    return str(found[0])


def camel(name: str) -> str:
    return name[0].lower() + name[1:]


@pytest.fixture(scope="module")
def component() -> dict[str, Any]:
    published = json.loads((ROOT / "provider" / "schema.json").read_text())
    resource: dict[str, Any] = published["resources"][TOKEN]
    return resource


def kind(declared: dict[str, Any]) -> str:
    """The schema's type of an input, with its plainness: 'integer plain', 'string', 'array<string> plain'."""
    name = declared["type"] + (f"<{declared['items']['type']}>" if declared["type"] == "array" else "")
    return name + (" plain" if declared.get("plain") else "")


# What a value is, by how each language writes it.
GO_VALUES = {
    r"pulumi\.IntRef\(\d+\)": "integer plain",
    r"pulumi\.BoolRef\((true|false)\)": "boolean plain",
    r"pulumi\.StringRef\(\".*\"\)": "string plain",
    r"pulumi\.String\(\".*\"\)": "string",
    r"\[\]pulumi\.StringInput\{.*\}": "array<string> plain",
}
CSHARP_VALUES = {r"\d+": "integer", r"(true|false)": "boolean", r"\".*\"": "string", r"\{.*\}": "array<string>"}


def typed(value: str, values: dict[str, str]) -> str:
    matched = [name for pattern, name in values.items() if re.fullmatch(pattern, value.strip())]
    assert matched, f"an example value of no known type: {value!r}"
    return matched[0]


def test_the_go_example_names_inputs_and_outputs_of_the_schema_with_their_types(component: dict[str, Any]) -> None:
    code = block("go")
    assert re.search(r'ecstaskevents "[\w./-]+/ecstaskevents"', code)  # the package name: the schema's, no hyphens
    assert "ecstaskevents.NewEcsTaskEventLogger(" in code and "&ecstaskevents.EcsTaskEventLoggerArgs{" in code
    args = code.split("&ecstaskevents.EcsTaskEventLoggerArgs{", 1)[1].split("\n\t\t})", 1)[0]
    given = dict(re.findall(r"^\s*(\w+):\s+(.+),$", args, re.MULTILINE))
    assert given
    for name, value in given.items():
        declared = component["inputProperties"][camel(name)]
        assert typed(value, GO_VALUES) == kind(declared), name
    for output in re.findall(r"logger\.(\w+)", code):
        assert camel(output) in component["properties"]


def test_the_csharp_example_names_inputs_and_outputs_of_the_schema_with_their_types(component: dict[str, Any]) -> None:
    code = block("csharp")
    assert "using Pulumi.EcsTaskEvents;" in code  # Pulumi.<the package name in PascalCase>
    args = code.split("new EcsTaskEventLoggerArgs", 1)[1].split("\n    });", 1)[0]
    given = dict(re.findall(r"^\s*(\w+) = (.+),$", args, re.MULTILINE))
    assert given
    for name, value in given.items():
        declared = component["inputProperties"][camel(name)]
        assert typed(value, CSHARP_VALUES) == kind(declared).removesuffix(" plain"), name
    for output in re.findall(r"logger\.(\w+)", code):
        assert camel(output) in component["properties"]


def test_the_typescript_and_yaml_examples_name_inputs_and_outputs_of_the_schema(component: dict[str, Any]) -> None:
    typescript = block("typescript")
    args = typescript.split("new ecsTaskEvents.EcsTaskEventLogger(", 1)[1].split("});", 1)[0]
    for name in re.findall(r"^\s+(\w+):", args, re.MULTILINE):
        assert name in component["inputProperties"]
    assert all(output in component["properties"] for output in re.findall(r"logger\.(\w+)", typescript))
    yaml_code = block("yaml")
    assert f"type: {TOKEN}" in yaml_code
    properties = yaml_code.split("properties:\n", 1)[1].split("outputs:", 1)[0]
    for name in re.findall(r"^      (\w+):", properties, re.MULTILINE):
        assert name in component["inputProperties"]
    assert all(output in component["properties"] for output in re.findall(r"\$\{logger\.(\w+)\}", yaml_code))


def test_the_stack_keys_and_the_component_inputs_are_told_apart(component: dict[str, Any]) -> None:
    rows = re.findall(r"^\| `(\w+)`: [^|]+\| `(\w+)`", section(), re.MULTILINE)
    stack_keys = {key.key for key in STACK_KEYS}
    assert {key for key, _ in rows} == stack_keys
    assert {name for _, name in rows} == {"clusterArns", "allClustersPrefix"} <= set(component["inputProperties"])
    # Every other key of the stack is an input of the same name; the three cluster keys are not inputs as such.
    assert set(CONFIG_KEYS) - stack_keys <= set(component["inputProperties"])
    assert not ({"clusterArn", "allClusters"} & set(component["inputProperties"]))


def test_the_package_has_a_real_version_kept_in_one_place() -> None:
    """The SDK reports the schema's version; the component provider host's default is 0.0.0 (the plugin is hosted
    with PACKAGE_VERSION: tests/test_package.py)."""
    assert re.fullmatch(r"\d+\.\d+\.\d+", PACKAGE_VERSION) and PACKAGE_VERSION != "0.0.0"
    assert schema()["version"] == PACKAGE_VERSION
    assert json.loads((ROOT / "provider" / "schema.json").read_text())["version"] == PACKAGE_VERSION
    assert f"`{PACKAGE_VERSION}`" in section()
