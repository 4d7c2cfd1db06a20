"""What stops a bad stack before anything is created, as its user sees it.

The Pulumi CLI type-checks the stack's config against Pulumi.yaml before the program runs
(rehearse/pulumi_cli.py), so a value of the wrong type meets the CLI's message, not the program's. The program
checks the same values again (a stack file edited by hand, a program run without typed config): ``past_the_cli``
shows what it says then.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from components import ConfigError
from rehearse.mocks import RecordingMocks, run_program
from rehearse.pulumi_cli import CliRefused, StackValue


def cli_refusal(config: Mapping[str, StackValue]) -> str:
    """The CLI's message for a stack it refuses to run; nothing registered."""
    mocks = RecordingMocks()
    with pytest.raises(CliRefused) as raised:
        run_program(config, mocks)
    assert mocks.resources == []
    return str(raised.value)


def config_error(config: Mapping[str, StackValue], *, past_the_cli: bool = False) -> str:
    """The program's config error (the CLI's checks passed, or skipped with ``past_the_cli``); nothing registered."""
    mocks = RecordingMocks()
    with pytest.raises(ConfigError) as raised:
        run_program(config, mocks, cli=not past_the_cli)
    assert mocks.resources == []
    return str(raised.value)
