"""Every test starts with a fresh function instance: no event seen before (see handler/app.py, SEEN_EVENTS)."""

from __future__ import annotations

import pytest

from handler import app


@pytest.fixture(autouse=True)
def fresh_instance() -> None:
    app.forget_seen_events()
