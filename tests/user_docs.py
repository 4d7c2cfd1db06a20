"""What a user reads: the README, then the reference pages under docs/ (the README links each one)."""

from __future__ import annotations

from rehearse.mocks import ROOT

PAGES = (
    "README.md",
    "docs/configuration.md",
    "docs/reading-the-logs.md",
    "docs/alarms-and-messages.md",
    "docs/organization.md",
    "docs/other-languages.md",
    "docs/development.md",
)


def user_docs() -> str:
    """Every page, the README first, as one text."""
    return "\n".join((ROOT / page).read_text() for page in PAGES)
