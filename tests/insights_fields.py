"""Which fields a CloudWatch Logs Insights query reads, and whether the handler writes them all."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from handler_capture import CentralContext, invoke, load_event, sample_names

from handler.app import forget_seen_events

QUERY_KEYWORDS = {
    "fields", "filter", "sort", "dedup", "stats", "by", "as", "and", "or", "not", "asc", "desc", "limit",
    "count", "count_distinct", "max", "min", "avg", "ispresent", "in", "like", "coalesce",
}  # fmt: skip


def handler_records(context: Any = None) -> dict[str, str]:
    """The INFO-or-above record the handler writes for each sample, as Lambda's JSON format renders it.

    From a fresh instance: one that has seen the samples before logs them as duplicates, without the verdict and
    the durations.
    """
    forget_seen_events()
    rendered = {}
    for name in sample_names():
        result = invoke(load_event(name), context=context)
        (line,) = [line for line in result.lines if json.loads(line)["level"] != "DEBUG"]
        rendered[name] = line
    return rendered


def member_records() -> dict[str, str]:
    """The same samples as a central logger of an organisation writes them: they name their account and region."""
    return handler_records(CentralContext())


def written_fields(lines: Iterable[str]) -> set[str]:
    """Every top-level field of these records, and ``containers.N.key`` as Logs Insights flattens the list."""
    known: set[str] = set()
    for line in lines:
        record = json.loads(line)
        known |= set(record)
        for index, container in enumerate(record.get("containers", [])):
            known |= {f"containers.{index}.{key}" for key in container}
    return known


def unknown_fields(query: str, known: set[str]) -> set[str]:
    """The names ``query`` reads that are neither Logs Insights syntax, its own aliases, nor in ``known``.

    Strings and regular expressions (``like /…/``) are literals, not fields; ``@`` fields are Logs Insights'.
    """
    literal_free = re.sub(r'"[^"]*"', "", query)
    literal_free = re.sub(r"\blike\s+/(?:[^/\\]|\\.)*/", "like", literal_free)
    names = set(re.findall(r"(?<![@\w.])([A-Za-z_][\w]*(?:\.\d+\.\w+)?)", literal_free))
    aliases = set(re.findall(r"\bas\s+(\w+)", literal_free))
    return names - QUERY_KEYWORDS - aliases - known
