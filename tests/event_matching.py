"""Enough of EventBridge's matching rules to check the patterns this project writes.

The component writes only exact-value patterns (a list of allowed values per
field, nested objects for nested fields); anything else fails loudly here.
"""

from __future__ import annotations

from typing import Any


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    for key, expected in pattern.items():
        if isinstance(expected, dict):
            value = event.get(key)
            if not isinstance(value, dict) or not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not all(isinstance(item, (str, int, float, bool)) for item in expected):
                raise NotImplementedError(f"content filters are not modelled here: {expected!r}")
            if event.get(key) not in expected:
                return False
        else:
            raise ValueError(f"{key!r}: a pattern value must be an object or an array, got {expected!r}")
    return True
