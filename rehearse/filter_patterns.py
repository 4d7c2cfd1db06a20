"""Enough of CloudWatch Logs' JSON filter-pattern language to check this project's metric filters.

Supported: ``{ ... }`` around conditions joined by ``&&`` / ``||`` with
parentheses; ``$.a.b`` selectors; ``=``, ``!=`` against quoted strings or
numbers; ``<``, ``<=``, ``>``, ``>=`` against numbers; ``IS TRUE``,
``IS FALSE``, ``IS NULL`` and ``NOT EXISTS``. Anything else is an error, so
a pattern this evaluator cannot read fails the test instead of passing it.
"""

from __future__ import annotations

import json
import re
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<paren>[()])|(?P<logic>&&|\|\|)|(?P<selector>\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])+)"
    r"|(?P<op>!=|<=|>=|=|<|>)|(?P<string>\"(?:[^\"\\]|\\.)*\")|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<keyword>IS TRUE|IS FALSE|IS NULL|NOT EXISTS))"
)
MISSING = object()


def matches(pattern: str, record: str | dict[str, Any]) -> bool:
    """Does the filter pattern match this log event (a JSON text or an already parsed one)?"""
    text = pattern.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"not a JSON filter pattern: {pattern!r}")
    document = json.loads(record) if isinstance(record, str) else record
    tokens = _tokens(text[1:-1])
    result, rest = _expression(tokens, document)
    if rest:
        raise ValueError(f"unexpected {rest[0]!r} in {pattern!r}")
    return result


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        found = TOKEN.match(text, position)
        if not found or found.end() == position:
            raise ValueError(f"cannot read {text[position:]!r}")
        kind = found.lastgroup
        assert kind is not None
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


def _expression(tokens: list[tuple[str, str]], document: Any) -> tuple[bool, list[tuple[str, str]]]:
    value, tokens = _term(tokens, document)
    while tokens and tokens[0][0] == "logic":
        logic = tokens[0][1]
        right, tokens = _term(tokens[1:], document)
        value = (value and right) if logic == "&&" else (value or right)
    return value, tokens


def _term(tokens: list[tuple[str, str]], document: Any) -> tuple[bool, list[tuple[str, str]]]:
    if tokens and tokens[0] == ("paren", "("):
        value, rest = _expression(tokens[1:], document)
        if not rest or rest[0] != ("paren", ")"):
            raise ValueError("unbalanced parentheses")
        return value, rest[1:]
    if len(tokens) < 2 or tokens[0][0] != "selector":
        raise ValueError(f"expected a $.selector at {tokens[:2]!r}")
    actual = _select(document, tokens[0][1])
    if tokens[1][0] == "keyword":
        keyword = tokens[1][1]
        checks = {
            "IS TRUE": actual is True,
            "IS FALSE": actual is False,
            "IS NULL": actual is None,
            "NOT EXISTS": actual is MISSING,
        }
        return checks[keyword], tokens[2:]
    if len(tokens) < 3 or tokens[1][0] != "op" or tokens[2][0] not in ("string", "number"):
        raise ValueError(f"expected a comparison at {tokens[:3]!r}")
    return _compare(actual, tokens[1][1], tokens[2]), tokens[3:]


def _select(document: Any, selector: str) -> Any:
    value = document
    for name, index in re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", selector):
        if name and isinstance(value, dict) and name in value:
            value = value[name]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return MISSING
    return value


def _compare(actual: Any, op: str, operand: tuple[str, str]) -> bool:
    kind, raw = operand
    if kind == "string":
        expected = json.loads(raw)
        if op not in ("=", "!="):
            raise ValueError(f"{op} needs a number")
        equal = isinstance(actual, str) and actual == expected
        return equal if op == "=" else not equal
    number = float(raw)
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return False
    return {
        "=": actual == number,
        "!=": actual != number,
        "<": actual < number,
        "<=": actual <= number,
        ">": actual > number,
        ">=": actual >= number,
    }[op]
