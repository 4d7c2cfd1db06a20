"""Every pointer to the documentation leads somewhere: the README's links to docs/ pages, and each page and heading
a message, a description or a docstring names, as docs/NAME.md followed by the quoted heading (config errors and
alarm descriptions send users there)."""

from __future__ import annotations

import re
import subprocess

from user_docs import PAGES

from rehearse.mocks import ROOT

REFERENCE = re.compile(r"""(docs/[\w-]+\.md), ["']([^"']+)["']""")


def headings(page: str) -> set[str]:
    text = re.sub(r"```.*?```", "", (ROOT / page).read_text(), flags=re.S)
    return {line.split(" ", 1)[1].strip() for line in text.splitlines() if re.match(r"#{1,4} ", line)}


def test_the_readme_links_every_page_and_every_link_exists() -> None:
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\]\((docs/[\w-]+\.md)\)", readme))
    assert linked == set(PAGES) - {"README.md"}
    assert all((ROOT / page).is_file() for page in linked)


def test_every_heading_the_code_points_to_exists() -> None:
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    found = 0
    for path in tracked.stdout.split():
        for page, heading in REFERENCE.findall((ROOT / path).read_text()):
            if "{" in heading:
                continue  # formatted at run time; the formatted value is checked where it is built
            found += 1
            assert heading in headings(page), f"{path}: {page} has no heading {heading!r}"
    assert found >= 8
