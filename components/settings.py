"""Each setting as ``EcsTaskEventLoggerArgs`` declares it, for what is derived from that one declaration.

The stack-config reader (``stack_config``), ``Pulumi.yaml``'s config block, the
the config table (docs/configuration.md) and the package schema all come from the fields of
``EcsTaskEventLoggerArgs``: their name, type, default, check (metadata) and
description (the string under each field, read by Pulumi's own analyzer, so
the schema and the docs say the same).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any, get_args, get_origin

from pulumi.provider.experimental.analyzer import Analyzer, is_input, is_optional, unwrap_input, unwrap_optional
from pulumi.provider.experimental.util import camel_case

from .event_logger import PACKAGE_NAME, EcsTaskEventLoggerArgs, accepts_outputs, default_of

# "Default: 30." closes a description in the schema, where defaults have no field of their own.
DEFAULT_SENTENCE = re.compile(r"\s*Default: [^.]*\.$")


@dataclass(frozen=True)
class Declared:
    field: str  # the EcsTaskEventLoggerArgs field
    key: str  # its schema and stack-config name
    type: type  # int, bool, str, collections.abc.Mapping or collections.abc.Sequence
    default: Any  # None: off, or decided by another setting
    check: Callable[[Any], Any] | None
    example: str | Callable[[str], str] | None
    default_text: str | None
    config_note: str | None
    description: str
    accepts_outputs: bool
    item: Any = None  # a Sequence's item type: str, or Mapping for a list of objects


def base_type(annotation: Any) -> type:
    """int for ``int | None``, str for ``pulumi.Input[str] | None``, Mapping for ``Mapping[str, str] | None``."""
    while True:
        if is_input(annotation):
            annotation = unwrap_input(annotation)
        elif is_optional(annotation):
            annotation = unwrap_optional(annotation)
        else:
            return get_origin(annotation) or annotation


def item_type(annotation: Any) -> type | None:
    """str for ``Sequence[str] | None``, Mapping for a sequence of objects; None for anything but a sequence."""
    while is_input(annotation) or is_optional(annotation):
        annotation = unwrap_input(annotation) if is_input(annotation) else unwrap_optional(annotation)
    if get_origin(annotation) not in (list, tuple, Sequence):
        return None
    (item,) = get_args(annotation)[:1] or (str,)
    return str if base_type(item) is str else Mapping


@cache
def declared() -> tuple[Declared, ...]:
    analyzer = Analyzer(PACKAGE_NAME)
    return tuple(
        Declared(
            field=spec.name,
            key=camel_case(spec.name),
            type=base_type(spec.type),
            default=default_of(spec),
            check=spec.metadata["check"],
            example=spec.metadata["example"],
            default_text=spec.metadata["default_text"],
            config_note=" ".join(spec.metadata["config_note"].split()) if spec.metadata["config_note"] else None,
            description=analyzer.get_docstring(EcsTaskEventLoggerArgs, spec.name) or "",
            accepts_outputs=accepts_outputs(spec),
            item=item_type(spec.type),
        )
        for spec in fields(EcsTaskEventLoggerArgs)
    )


def without_default(description: str) -> str:
    """The description without its closing "Default: ..." sentence, for where the default has a column."""
    return DEFAULT_SENTENCE.sub("", description)
