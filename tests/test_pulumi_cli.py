"""The Pulumi CLI's config rules (rehearse/pulumi_cli.py), held to the CLI's source, and this project held to them.

Pulumi's mocks run the program with whatever config a test gives; the real CLI first loads Pulumi.yaml, refuses a
stack that lacks a declared key without a default, applies the defaults and type-checks every value. The source
of each rule, in pulumi/pulumi:
- sdk/go/common/workspace/config.go, ``mergeConfig``: ``!foundOnStack && !hasValue && !hasDefault &&
  key.Namespace() == projectName`` collects the missing keys, ``missingStackConfigurationKeysError`` words them
  (its test: ``TestStackConfigErrorsWhenMissingStackValueForConfigTypeWithNoDefault``); ``createConfigValue`` sets
  a default (a primitive as ``%v`` prints it, anything else as JSON); ``validateStackConfigValue`` type-checks;
- sdk/go/common/workspace/project.go: ``RewriteShorthandConfigValues``, ``Project.Validate``,
  ``ValidateConfigValue`` (integer: an int, a whole float or a string ``strconv.Atoi`` takes; boolean: a bool or
  the strings "true" and "false"), ``InferFullTypeName``;
- pkg/cmd/pulumi/operations (up.go, preview.go): ``fmt.Errorf("validating stack config: %w", err)``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from user_docs import user_docs

from components import CONFIG_KEYS
from rehearse.mocks import ACCOUNT, REGION, ROOT, run_program
from rehearse.pulumi_cli import (
    CliRefused,
    StackValue,
    config_command,
    config_for_program,
    parse_project,
    project,
    stack_file_values,
    value_fits,
)

# The Pulumi.yaml of before, for the keys the CLI then required on every stack.
REQUIRED_BEFORE = """\
name: ecs-task-events
runtime: python
config:
  clusterArn:
    type: string
  alertEmail:
    type: string
  groupMetrics:
    type: boolean
  logRetentionDays:
    type: integer
    default: 30
"""


def cli(text: str, stack: dict[str, StackValue]) -> dict[str, str]:
    return config_for_program(stack, "dev", parse_project(text))


def test_a_key_declared_without_a_default_is_required_on_every_stack() -> None:
    """mergeConfig: each key of the project's namespace needs a stack value, a default or a value; the error lists
    them sorted, with 'and' before the last (formatMissingKeys)."""
    with pytest.raises(CliRefused) as raised:
        cli(REQUIRED_BEFORE, {"aws:region": REGION})
    assert str(raised.value) == (
        "validating stack config: Stack 'dev' is missing configuration values 'alertEmail', 'clusterArn' and "
        "'groupMetrics'"
    )
    with pytest.raises(CliRefused, match=r"is missing configuration value 'groupMetrics'$"):
        cli(REQUIRED_BEFORE, {"clusterArn": "arn", "alertEmail": "a@example.com"})
    # Setting a key to an empty string satisfies the CLI (the program then decides what "" means).
    assert (
        cli(REQUIRED_BEFORE, {"clusterArn": "", "alertEmail": "", "groupMetrics": "false"})[
            "ecs-task-events:alertEmail"
        ]
        == ""
    )


def test_defaults_reach_the_program_as_strings() -> None:
    """createConfigValue: a primitive default as Go's %v prints it, a list or map as JSON text."""
    text = """\
name: p
runtime: python
config:
  count: {type: integer, default: 30}
  enabled: {type: boolean, default: false}
  none: {type: string, default: ""}
  list: {type: array, items: {type: string}, default: []}
  word: auto
  aws:region: {value: eu-west-1}
"""
    assert cli(text, {}) == {
        "p:count": "30",
        "p:enabled": "false",
        "p:none": "",
        "p:list": "[]",
        "p:word": "auto",
        "aws:region": "eu-west-1",
    }
    assert cli(text, {"count": "7"})["p:count"] == "7"  # a stack value wins over the default


def test_values_are_checked_against_the_declared_type() -> None:
    """ValidateConfigValue, as the CLI applies it to stack values (text, or JSON for a structured value)."""
    assert value_fits("integer", None, "30") and value_fits("integer", None, "-3") and value_fits("integer", None, 3.0)
    assert not any(value_fits("integer", None, raw) for raw in (" 30", "30 ", "3_0", "3.5", "thirty", "", True))
    assert value_fits("boolean", None, "true") and value_fits("boolean", None, False)
    assert not any(value_fits("boolean", None, raw) for raw in ("True", "yes", "1", ""))
    assert value_fits("array", {"type": "string"}, ["a", "b"]) and value_fits("array", {"type": "string"}, [])
    assert not value_fits("array", {"type": "string"}, "a") and not value_fits("array", {"type": "string"}, [1])
    assert not value_fits("array", None, ["a"])  # an array without items never fits
    text = (
        "name: p\nruntime: python\nconfig:\n"
        "  n: {type: integer, default: 1}\n  l: {type: array, items: {type: string}, default: []}\n"
    )
    with pytest.raises(
        CliRefused, match=r"^validating stack config: Stack 'dev' with configuration key 'n' must be of type 'integer'$"
    ):
        cli(text, {"n": "a month"})
    with pytest.raises(CliRefused, match=r"key 'l' must be of type 'array<string>'$"):
        cli(text, {"l": "arn:aws:ecs:eu-west-1:111122223333:cluster/a"})  # `config set` without --path: a string


def test_a_stack_file_keeps_each_scalar_as_written() -> None:
    """config.Value unmarshals a stack file's scalar into a string first: YAML's True stays the text True, which
    the boolean type refuses; only lists and maps are structured values."""
    values = stack_file_values("config:\n  p:enabled: True\n  p:n: 30\n  p:l:\n    - a\n  p:e:\n")
    assert values == {"p:enabled": "True", "p:n": "30", "p:l": ["a"], "p:e": ""}
    text = "name: p\nruntime: python\nconfig:\n  enabled: {type: boolean, default: false}\n"
    with pytest.raises(CliRefused, match="key 'enabled' must be of type 'boolean'"):
        cli(text, {"p:enabled": values["p:enabled"]})


@pytest.mark.parametrize(
    ("declaration", "refusal"),
    [
        ("k: {type: string, default: a, value: b}", "project config 'k' cannot have both a 'default' and 'value'"),
        ("k: {type: array}", "The configuration key 'k' declares an array but does not specify the underlying type"),
        ("k: {type: integer, default: many}", "The default value specified for configuration key 'k' is not of the"),
        ("k: {type: boolean, default: auto}", "is not of the expected type 'boolean'"),
        ("aws:region: {type: string, value: x}", "is not namespaced by the project and should not define a type"),
        ("aws:region: {default: x}", "Did you mean to use the 'value' attribute instead of 'default'?"),
        ("k: {type: string, required: true}", "additionalProperties 'required' not allowed"),
        ("k: {type: number}", "#/config/k/type: value must be one of"),
    ],
)
def test_malformed_declarations_are_refused_when_the_project_loads(declaration: str, refusal: str) -> None:
    """Project.Validate and project.json: what the CLI refuses in Pulumi.yaml itself."""
    with pytest.raises(CliRefused, match=re.escape(refusal)):
        parse_project(f"name: p\nruntime: python\nconfig:\n  {declaration}\n")


def test_this_projects_pulumi_yaml_loads_and_requires_no_key() -> None:
    """Every key Pulumi.yaml declares is optional for the CLI: the program, not the CLI, asks for a cluster."""
    declared = project()
    assert declared.name == "ecs-task-events"
    assert set(declared.config) == set(CONFIG_KEYS)
    given = config_for_program({"aws:region": REGION})
    assert {key.split(":", 1)[1] for key in given if key.startswith("ecs-task-events:")} == set(CONFIG_KEYS)


def readme_stacks() -> dict[str, dict[str, StackValue]]:
    """Each stack the README's `sh` blocks build: Deploy's steps on Pulumi.dev.yaml (`pulumi stack init dev` picks it
    up), then each other block's `pulumi config` commands on top; a `# or` comment starts an alternative."""
    readme = user_docs()
    blocks = [block for block in re.findall(r"```sh\n(.*?)```", readme, re.S) if "pulumi config set" in block]
    flows: list[list[str]] = []
    for block in blocks:
        flows.append([])
        for line in block.splitlines():
            if line.startswith("# or"):
                flows.append([])
            command = line.split("  #", 1)[0].strip()
            if re.match(r"pulumi config (set|rm) ", command):
                flows[-1].append(command)
    chosen = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/orders"
    stacks: dict[str, dict[str, StackValue]] = {}
    base = stack_file_values((ROOT / "Pulumi.dev.yaml").read_text())
    for number, flow in enumerate(flows):
        stack = dict(base) if number else base
        for command in flow:
            stack = config_command(stack, command.replace("<the ARN list-clusters printed>", chosen))
        if number == 0:
            base = stack
        stacks[" && ".join(flow)] = stack
    return stacks


def test_the_readme_builds_the_stacks_it_says() -> None:
    stacks = list(readme_stacks().values())
    assert len(stacks) >= 3, "the Deploy steps, several clusters, all clusters"
    deploy: dict[str, Any] = stacks[0]
    assert deploy["aws:region"] == REGION and deploy["ecs-task-events:clusterArn"].endswith(":cluster/orders")
    assert any(isinstance(stack.get("ecs-task-events:clusterArns"), list) for stack in stacks)
    assert any(stack.get("ecs-task-events:allClusters") == "true" for stack in stacks)


@pytest.mark.parametrize("flow", list(readme_stacks()), ids=lambda flow: flow[:60])
def test_every_stack_the_readme_builds_passes_the_cli_and_deploys(flow: str) -> None:
    """What a user who follows the README types reaches the program, and the program deploys it."""
    deployed = run_program(readme_stacks()[flow])
    assert deployed.outputs["functionArn"].startswith(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:")


def test_the_readme_names_a_version_pulumi_package_add_takes() -> None:
    """`pulumi package add` takes a Git reference's version as a semver tag or a commit hash (Pulumi CLI reference,
    "pulumi package add"): every Git reference the README shows ends in @vMAJOR.MINOR.PATCH or @<commit hash>."""
    readme = user_docs()
    references = re.findall(r"github\.com/\S+?\.git/provider(@\S+)?", readme)
    assert len(references) >= 2
    for version in references:
        assert re.fullmatch(r"@(v(\d+|X)\.(\d+|Y)\.(\d+|Z)|<commit hash>)", version), version
