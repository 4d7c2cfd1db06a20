"""Property tests: thousands of mutated and random events, and the handler never fails them."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from typing import Any

from handler_capture import invoke, load_event, sample_names
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handler import app
from handler.summarise import summarise_event

SAMPLES = {name: load_event(name) for name in sample_names()}
# Marks secret values so that a leak anywhere in the output is easy to find.
SECRET_MARK = "Zq9SECRET"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
secrets = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=20).map(
    lambda tail: f"{SECRET_MARK}{tail}"
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON document, the document itself included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def mutate(event: Any, path: tuple[Any, ...], replacement: Any, delete: bool) -> Any:
    if not path:
        return replacement
    parent = event
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return event


# The shapes an environment override could take, each carrying the secret as a value.
ENVIRONMENT_SHAPES: list[Callable[[str], Any]] = [
    lambda secret: [{"name": "DATABASE_URL", "value": secret}],
    lambda secret: [{"name": "TOKEN", "value": secret, "extra": secret}],
    lambda secret: [{"value": secret}],
    lambda secret: [{"name": 7, "value": secret}],
    lambda secret: [secret],
    lambda secret: {"DATABASE_URL": secret},
    lambda secret: secret,
    lambda secret: [{"name": "NESTED", "value": {"deep": [secret]}}],
]
# The shapes a command override could take, each carrying the secret as a secret-named argument's value.
COMMAND_SHAPES: list[Callable[[str], Any]] = [
    lambda secret: ["migrate", "--password", secret],
    lambda secret: ["migrate", f"--password={secret}"],
    lambda secret: ["run", "--api-key", f"-{secret}"],
    lambda secret: [f"DB_PASSWORD={secret}", "run"],
    lambda secret: ["sh", "-c", f"migrate --to latest --db-token {secret} && echo done"],
    lambda secret: ["sh", "-c", f"CLIENT_SECRET='{secret}' run"],
    lambda secret: f"psql --dbpass={secret} host=db",
    lambda secret: [["--secret", secret]],
    lambda secret: ["--token", 7, "--auth", secret],
]
# Strategies made once rather than for every example: each new strategy is validated when first drawn from.
SAMPLE_TEXTS = {name: json.dumps(event) for name, event in SAMPLES.items()}  # parsed anew: a fresh copy each
SAMPLE_NAMES = st.sampled_from(sorted(SAMPLES))
ENVIRONMENTS = st.sampled_from(ENVIRONMENT_SHAPES)
COMMANDS = st.sampled_from(COMMAND_SHAPES)
MUTATION_COUNTS = st.integers(min_value=0, max_value=4)


@st.composite
def mutated_events(draw: st.DrawFn) -> tuple[Any, str]:
    event = json.loads(SAMPLE_TEXTS[draw(SAMPLE_NAMES)])
    secret = draw(secrets)
    detail = event.get("detail")
    if isinstance(detail, dict):
        overrides = [{"name": "app", "environment": draw(ENVIRONMENTS)(secret), "command": draw(COMMANDS)(secret)}]
        detail["overrides"] = {"containerOverrides": overrides}
    for _ in range(draw(MUTATION_COUNTS)):
        candidates = paths(event)
        path = candidates[draw(st.integers(min_value=0, max_value=len(candidates) - 1))]  # as sampled_from draws
        if any(step in ("environment", "command") for step in path):
            continue  # keep the secret where a real override keeps it
        event = mutate(event, path, draw(json_values), draw(st.booleans()))
    return event, secret


PROPERTY_SETTINGS = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(mutated_events())
def test_mutated_events_log_once_and_leak_no_secret(case: tuple[Any, str]) -> None:
    event, secret = case
    original = copy.deepcopy(event)
    summary = summarise_event(event)  # no safety net here: the summariser itself must not raise
    assert summary.level >= logging.INFO
    app.forget_seen_events()  # each example a fresh instance: first deliveries, then a second copy
    for _delivery in ("first", "again"):
        result = invoke(event, logging.DEBUG)
        loud = [record for record in result.records if record["level"] != "DEBUG"]
        assert len(loud) == 1
        assert secret not in result.text
        assert secret not in json.dumps(result.returned)
        assert event == original  # the handler never changes the event it was given


@settings(max_examples=1000, deadline=None)
@given(json_values)
def test_random_json_logs_exactly_one_warning_or_better(event: Any) -> None:
    summarise_event(event)
    app.forget_seen_events()
    result = invoke(event, logging.DEBUG)
    loud = [record for record in result.records if record["level"] != "DEBUG"]
    assert len(loud) == 1
    json.dumps(result.returned)  # what Lambda returns must serialise
