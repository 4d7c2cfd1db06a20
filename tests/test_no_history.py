"""README, docs and code speak to users and maintainers: what is, not how it came to be."""

from __future__ import annotations

import re
import subprocess

from rehearse import ROOT

# Development notes that mean nothing to a reader of the code: a work session, a numbered issue of this project's
# tracker, a round of work. A citation of another project's issue (``grafana/grafana#25062``) is not one.
HISTORY = re.compile(
    r"this session|(?:the|a|last|next|earlier) session\b|\bissues? #\d+|(?<![\w/.-])#\d{1,4}\b(?!-)|\bround \d+\b"
    r"|\bpreviously\b|which (?:we|I) did not|was \d+ KiB until",
    re.IGNORECASE,
)


def tracked(*patterns: str) -> list[str]:
    listed = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
    return [path for path in listed.stdout.splitlines() if (ROOT / path).is_file()]


def history_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if HISTORY.search(line)]


def test_the_pattern_finds_development_notes_and_leaves_citations_alone() -> None:
    assert history_lines("means fewer resources, which this session did not attempt.")
    assert history_lines("The record writes each fact once (issue #11; see below)")
    assert history_lines("# after #12, the list is sorted")
    assert history_lines("Previously the zip was 16 KiB")
    assert not history_lines("told Grafana in grafana/grafana#25062): each SEARCH is kept to 1,024.")
    assert not history_lines('color: "#1f77b4", boto3.session, AWS_SESSION_TOKEN, session tokens')


def test_no_development_history_in_the_readme_the_docs_or_the_code() -> None:
    files = [path for path in tracked("README.md", "docs/*.md", "*.py") if path != "tests/test_no_history.py"]
    assert "README.md" in files and "handler/app.py" in files
    found = {path: history_lines((ROOT / path).read_text(encoding="utf-8")) for path in files}
    assert {path: lines for path, lines in found.items() if lines} == {}
