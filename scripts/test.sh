#!/usr/bin/env bash
# The one command for a fresh clone: makes .venv (Python 3.11+), installs the dev requirements, then runs lint,
# format check, type checks and the tests, spread over every core. Extra arguments go to pytest, e.g.
# `bash scripts/test.sh -k handler`, or `-n 0` for one process.
set -euo pipefail
cd "$(dirname "$0")/.."
# Keep compiled bytecode in __pycache__ (git ignores it): without it every test process compiles the project's
# modules, and pytest rewrites every test module, again.
unset PYTHONDONTWRITEBYTECODE
source scripts/venv.sh

echo "== ruff"; .venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
# mypy checks beside the tests, on the core pytest leaves idle while it starts its workers; its report follows
# theirs, and either failing fails the command.
mypy_report=$(mktemp)
trap 'rm -f "$mypy_report"' EXIT
.venv/bin/python -m mypy >"$mypy_report" 2>&1 &
mypy_pid=$!
echo "== pytest"; tests=0; .venv/bin/python -m pytest -n auto --dist worksteal "$@" || tests=$?
echo "== mypy"; types=0; wait "$mypy_pid" || types=$?
cat "$mypy_report"
if [ "$tests" -ne 0 ]; then exit "$tests"; fi
exit "$types"
