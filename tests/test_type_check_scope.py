"""mypy checks every pulumi_aws module the code uses, though it skips the rest of the SDK.

pulumi_aws/__init__.py imports all of its 240 subpackages under TYPE_CHECKING, and reading them was most of a cold
mypy run. pyproject.toml therefore sets `follow_imports = "skip"` on `pulumi_aws.*` (a skipped module is typed as
Any) and `normal` on the package itself, its top-level modules and the subpackages the code uses. A call into a
skipped subpackage would go unchecked, so these tests read the code and fail when it uses one.

Which section wins is mypy's own rule (mypy docs, "The mypy configuration file", config precedence: a concrete
module name beats a structured pattern, and the more specific structured pattern beats the more general one), so
the tests ask mypy's own config parser, `Options.clone_for_module`, rather than re-implementing it.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pulumi_aws
import pytest

if TYPE_CHECKING:
    from mypy.options import Options

ROOT = Path(__file__).resolve().parent.parent
SDK = Path(pulumi_aws.__file__).parent
SUBPACKAGES = frozenset(path.parent.name for path in SDK.glob("*/__init__.py"))
TOP_LEVEL_MODULES = frozenset(path.stem for path in SDK.glob("*.py") if path.stem != "__init__")


def mypy_options() -> Options:
    # mypy's compiled modules take a quarter of a second to import: only the tests that read the config pay it.
    from mypy.config_parser import parse_config_file  # noqa: PLC0415
    from mypy.options import Options  # noqa: PLC0415

    options = Options()
    parse_config_file(options, lambda: None, str(ROOT / "pyproject.toml"), io.StringIO(), io.StringIO())
    return options


def checked_files(options: Options) -> Iterator[Path]:
    for entry in options.files or []:
        path = ROOT / entry
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def pulumi_aws_modules_used(source: str) -> set[str]:
    """Every pulumi_aws module a piece of code reaches: by import, or as an attribute of the imported package."""
    tree = ast.parse(source)
    package_names: set[str] = set()
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "pulumi_aws" or alias.name.startswith("pulumi_aws."):
                    used.add(alias.name)
                    if alias.name == "pulumi_aws" or alias.asname is None:
                        package_names.add(alias.asname or "pulumi_aws")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pulumi_aws":
                used.add("pulumi_aws")
                used.update(f"pulumi_aws.{alias.name}" for alias in node.names if alias.name in SUBPACKAGES)
            elif node.module.startswith("pulumi_aws."):
                used.add(node.module)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in package_names
            and node.attr in SUBPACKAGES
        ):
            used.add(f"pulumi_aws.{node.attr}")
    return used


def skipped(options: Options, modules: Iterable[str]) -> list[str]:
    return sorted(module for module in modules if options.clone_for_module(module).follow_imports == "skip")


def test_every_pulumi_aws_module_the_code_uses_is_type_checked() -> None:
    options = mypy_options()
    unchecked = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in checked_files(options)
        for module in skipped(options, pulumi_aws_modules_used(path.read_text()))
    }
    assert not unchecked, (
        "these pulumi_aws modules are used but mypy skips them; add `pulumi_aws.NAME.*` to the follow_imports = "
        f"'normal' list in pyproject.toml: {sorted(unchecked)}"
    )


def test_the_package_and_its_top_level_modules_are_type_checked() -> None:
    """Names such as aws.get_caller_identity_output come from top-level modules by star import; skipping one
    would make them unknown to mypy (an error), or Any."""
    options = mypy_options()
    assert skipped(options, ["pulumi_aws", *(f"pulumi_aws.{name}" for name in TOP_LEVEL_MODULES)]) == []


def test_the_subpackages_nobody_uses_are_skipped() -> None:
    """The point of the setting: a cold mypy run reads a handful of subpackages, not 240."""
    options = mypy_options()
    followed = sorted(
        set(SUBPACKAGES) - {module.split(".")[1] for module in skipped(options, map(qualified, SUBPACKAGES))}
    )
    assert 0 < len(followed) <= 15, followed


def qualified(subpackage: str) -> str:
    return f"pulumi_aws.{subpackage}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import pulumi_aws as aws\naws.ec2.Vpc('v')\n", {"pulumi_aws", "pulumi_aws.ec2"}),
        ("import pulumi_aws\npulumi_aws.ec2.Vpc('v')\n", {"pulumi_aws", "pulumi_aws.ec2"}),
        ("from pulumi_aws import ec2\nec2.Vpc('v')\n", {"pulumi_aws", "pulumi_aws.ec2"}),
        ("from pulumi_aws.ec2 import Vpc\n", {"pulumi_aws.ec2"}),
        ("import pulumi_aws.ec2\n", {"pulumi_aws.ec2"}),
        ("import pulumi_aws as aws\naws.get_region()\n", {"pulumi_aws"}),
    ],
)
def test_the_scan_finds_each_way_of_reaching_a_subpackage(source: str, expected: set[str]) -> None:
    assert pulumi_aws_modules_used(source) == expected


def test_a_use_of_a_skipped_subpackage_is_reported() -> None:
    options = mypy_options()
    assert skipped(options, pulumi_aws_modules_used("import pulumi_aws as aws\naws.ec2.Vpc('v')\n")) == [
        "pulumi_aws.ec2"
    ]
