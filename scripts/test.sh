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
echo "== mypy"; .venv/bin/python -m mypy
echo "== pytest"; .venv/bin/python -m pytest -n auto --dist worksteal "$@"
