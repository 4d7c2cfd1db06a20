"""Property tests: thousands of mutated and random events, and the handler never fails them."""

from __future__ import annotations

import copy
import json
import logging
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


def environment_variants(secret: str) -> st.SearchStrategy[Any]:
    """The shapes an environment override could take, each carrying the secret as a value."""
    return st.sampled_from(
        [
            [{"name": "DATABASE_URL", "value": secret}],
            [{"name": "TOKEN", "value": secret, "extra": secret}],
            [{"value": secret}],
            [{"name": 7, "value": secret}],
            [secret],
            {"DATABASE_URL": secret},
            secret,
            [{"name": "NESTED", "value": {"deep": [secret]}}],
        ]
    )


def command_variants(secret: str) -> st.SearchStrategy[Any]:
    """The shapes a command override could take, each carrying the secret as a secret-named argument's value."""
    return st.sampled_from(
        [
            ["migrate", "--password", secret],
            ["migrate", f"--password={secret}"],
            ["run", "--api-key", f"-{secret}"],
            [f"DB_PASSWORD={secret}", "run"],
            ["sh", "-c", f"migrate --to latest --db-token {secret} && echo done"],
            ["sh", "-c", f"CLIENT_SECRET='{secret}' run"],
            f"psql --dbpass={secret} host=db",
            [["--secret", secret]],
            ["--token", 7, "--auth", secret],
        ]
    )


@st.composite
def mutated_events(draw: st.DrawFn) -> tuple[Any, str]:
    event = copy.deepcopy(SAMPLES[draw(st.sampled_from(sorted(SAMPLES)))])
    secret = draw(secrets)
    detail = event.get("detail")
    if isinstance(detail, dict):
        overrides = [
            {
                "name": "app",
                "environment": draw(environment_variants(secret)),
                "command": draw(command_variants(secret)),
            }
        ]
        detail["overrides"] = {"containerOverrides": overrides}
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        candidates = paths(event)
        path = draw(st.sampled_from(candidates))
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
