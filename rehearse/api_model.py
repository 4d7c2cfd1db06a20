"""Every constraint of the AWS API model, and the Regions each service has endpoints in: AWS's checks, before moto.

botocore's own check (``validate_parameters``) looks at shapes and types and, of the constraints, only minimum
lengths; moto checks what it happens to implement. AWS refuses a call whose value breaks any constraint its API
model declares, so the rehearsal enforces them all, on every call it makes (a ``before-parameter-build`` hook on
the clients it creates, and the calls it only checks):

- ``pattern``: the whole value must match (AWS applies the pattern to the whole value, as Java's
  ``Matcher.matches`` does; ``ConfigurationName``'s ``[A-Za-z0-9-_]+`` refuses ``dev.eu-…`` although it finds a
  match inside it). The models write some patterns in Java's dialect (``\\p{L}``, ``\\p{Print}``, a ``-`` after
  ``\\w`` in a class, UTF-16 surrogate pairs); ``python_pattern`` translates what Python's ``re`` cannot take;
- ``min``/``max``: the length of strings, blobs, lists and maps, the value of numbers;
- ``enum``: one of the values listed.

Regions: a client of a service in a Region where the service has no endpoint is refused, from botocore's endpoint
data (``botocore/data/endpoints.json``), or, for services it does not list, from the page AWS publishes.
"""

from __future__ import annotations

import functools
import json
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import botocore
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

# Services botocore's endpoint data leaves out, with the Regions the AWS page lists.
PUBLISHED_REGIONS: dict[str, tuple[str, frozenset[str]]] = {
    # AWS General Reference, "Amazon Q Developer in chat applications endpoints and quotas"
    # (docs.aws.amazon.com/general/latest/gr/chatbot.html); the API Reference's "Welcome" page lists the same four.
    "chatbot": (
        'AWS General Reference, "Amazon Q Developer in chat applications endpoints and quotas"',
        frozenset({"us-east-2", "us-west-2", "eu-west-1", "ap-southeast-1"}),
    ),
}


class ModelViolation(ValueError):
    """A call AWS would refuse: a value breaks a constraint of the API model, or the Region has no endpoint."""


# ------------------------------------------------------------------------------------------------ patterns

# Unicode general categories Java's \p{..} names and Python's re lacks; \p{Print} is POSIX, ASCII only in Java.
_POSIX_CLASSES = {"Print": "\\x20-\\x7e", "Alnum": "0-9A-Za-z", "Alpha": "A-Za-z", "XDigit": "0-9A-Fa-f"}


@functools.cache
def _categories() -> dict[str, list[list[int]]]:
    """Every code point's general category, as runs of consecutive code points: one pass over Unicode, once."""
    runs: dict[str, list[list[int]]] = {}
    category_of = unicodedata.category
    previous = ""
    for code in range(sys.maxunicode + 1):
        category = category_of(chr(code))
        if category == previous:
            runs[category][-1][1] = code
        else:
            runs.setdefault(category, []).append([code, code])
            previous = category
    return runs


@functools.cache
def _category_ranges(category: str) -> str:
    """The code points of a Unicode general category (``L``, or ``Zs``) as class ranges for Python's re."""
    spans = sorted(span for name, runs in _categories().items() if name.startswith(category) for span in runs)
    merged: list[list[int]] = []
    for first, last in spans:
        if merged and first == merged[-1][1] + 1:
            merged[-1][1] = last
        else:
            merged.append([first, last])
    return "".join(_class_range(first, last) for first, last in merged)


def _class_range(first: int, last: int) -> str:
    return f"\\U{first:08x}" if first == last else f"\\U{first:08x}-\\U{last:08x}"


def _property(name: str) -> str:
    if name in _POSIX_CLASSES:
        return _POSIX_CLASSES[name]
    if re.fullmatch(r"[LMNPSZC][a-z]?", name):
        return _category_ranges(name)
    raise ValueError(f"\\p{{{name}}}: a Java character property with no translation here; add one")


_SHORTHANDS = ("\\w", "\\d", "\\s", "\\W", "\\D", "\\S")


def _surrogate_pair(high: str, low: str) -> int:
    return 0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00)


def python_pattern(java: str) -> str:
    """A Java-dialect pattern of a botocore model in the syntax of Python's re, meaning the same."""
    # UTF-16 surrogate pairs (\uD800\uDC00-\uDBFF\uDFFF) name the code points above U+FFFF.
    translated = re.sub(
        r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})",
        lambda pair: f"\\U{_surrogate_pair(pair[1], pair[2]):08x}",
        java,
        flags=re.IGNORECASE,
    )
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(translated):
        char = translated[index]
        if char == "\\" and index + 1 < len(translated):
            escape = translated[index : index + 2]
            prop = re.match(r"\\p\{(\w+)\}", translated[index:])
            if prop:
                items = _property(prop[1])
                out.append(items if in_class else f"[{items}]")
                index += len(prop[0])
                continue
            out.append(escape)
            index += 2
            # Java reads a '-' right after a class shorthand (\w-_) as a literal dash; Python refuses the range.
            if in_class and escape in _SHORTHANDS and translated[index : index + 1] == "-":
                out.append("\\-")
                index += 1
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class and out and out[-1] != "[":
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


@functools.cache
def compiled(java: str) -> re.Pattern[str]:
    return re.compile(python_pattern(java))


# ------------------------------------------------------------------------------------------------ constraints


def violations(value: Any, shape: Shape, path: str) -> list[str]:
    """Every constraint of ``shape`` (and of its members) that ``value`` breaks, as 'path: what' lines."""
    found: list[str] = []
    meta = shape.metadata
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        for name, member in shape.members.items():
            if name in value:
                found += violations(value[name], member, f"{path}.{name}" if path else name)
        return found
    if isinstance(shape, ListShape) and isinstance(value, Sequence) and not isinstance(value, str | bytes):
        found += _length(len(value), meta, path, "items")
        for position, item in enumerate(value):
            found += violations(item, shape.member, f"{path}[{position}]")
        return found
    if isinstance(shape, MapShape) and isinstance(value, Mapping):
        found += _length(len(value), meta, path, "entries")
        for key, item in value.items():
            found += violations(key, shape.key, f"{path} key {key!r}")
            found += violations(item, shape.value, f"{path}[{key!r}]")
        return found
    if isinstance(value, str) and shape.type_name == "string":
        found += _length(len(value), meta, path, "characters", value)
        if shape.enum and value not in shape.enum:
            found.append(f"{path} = {value!r}: not one of {', '.join(shape.enum)} ({shape.name})")
        pattern = meta.get("pattern")
        if pattern is not None and not compiled(pattern).fullmatch(value):
            found.append(f"{path} = {value!r}: does not match the pattern {pattern} ({shape.name})")
        return found
    if isinstance(value, bytes | bytearray) and shape.type_name == "blob":
        return _length(len(value), meta, path, "bytes")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "min" in meta and value < meta["min"]:
            found.append(f"{path} = {value!r}: below the minimum {meta['min']} ({shape.name})")
        if "max" in meta and value > meta["max"]:
            found.append(f"{path} = {value!r}: above the maximum {meta['max']} ({shape.name})")
    return found


def _length(size: int, meta: Mapping[str, Any], path: str, unit: str, value: object = None) -> list[str]:
    shown = f" = {value!r}" if isinstance(value, str) and len(value) <= 80 else ""
    if "min" in meta and size < meta["min"]:
        return [f"{path}{shown}: {size} {unit}, fewer than the minimum {meta['min']}"]
    if "max" in meta and size > meta["max"]:
        return [f"{path}{shown}: {size} {unit}, more than the maximum {meta['max']}"]
    return []


def check_call(operation: OperationModel, params: Mapping[str, Any]) -> None:
    """Raise ModelViolation, naming each value and the constraint, if AWS would refuse these parameters."""
    if operation.input_shape is None:
        return
    found = violations(params, operation.input_shape, "")
    if found:
        service = operation.service_model.service_name
        raise ModelViolation(
            f"AWS would refuse {service} {operation.name}: " + "; ".join(found) + f" (the {service} API model)"
        )


def _before_parameter_build(params: Mapping[str, Any], model: OperationModel, **_: Any) -> None:
    check_call(model, params)


def enforce(client: Any) -> Any:
    """``client`` with every call's parameters checked against every constraint of the model first."""
    client.meta.events.register("before-parameter-build", _before_parameter_build, unique_id="rehearse-api-model")
    return client


# ------------------------------------------------------------------------------------------------ Regions


@functools.cache
def _endpoints() -> dict[str, Any]:
    data = Path(botocore.__file__).parent / "data" / "endpoints.json"
    return dict(json.loads(data.read_text()))


def region_problem(endpoint_prefix: str, region: str) -> str | None:
    """Why ``region`` has no endpoint of the service, or None when it has one (or the service is global)."""
    if endpoint_prefix in PUBLISHED_REGIONS:
        page, regions = PUBLISHED_REGIONS[endpoint_prefix]
        if region in regions:
            return None
        return f"{endpoint_prefix} has no endpoint in {region}; it has one in {', '.join(sorted(regions))} ({page})"
    for partition in _endpoints()["partitions"]:
        if not re.fullmatch(partition["regionRegex"], region):
            continue
        service = partition["services"].get(endpoint_prefix)
        if service is None:
            break
        if service.get("isRegionalized") is False:
            return None  # a global service (IAM): one endpoint for the partition
        if region in service.get("endpoints", {}):
            return None
        where = f"botocore's endpoints.json, partition {partition['partition']}"
        return f"{endpoint_prefix} has no endpoint in {region} ({where})"
    return (
        f"{endpoint_prefix}: no endpoint data for {region}; add the Regions AWS publishes for it to PUBLISHED_REGIONS"
    )


def check_region(client: Any, region: str) -> None:
    """Raise ModelViolation when the client's service has no endpoint in ``region`` (the one it was created for:
    a global service's client reports its partition endpoint instead)."""
    problem = region_problem(client.meta.service_model.endpoint_prefix, region)
    if problem:
        raise ModelViolation(f"AWS would refuse the call: {problem}")
