#!/usr/bin/env bash
# The one command for a fresh clone: makes .venv (Python 3.10+), installs the
# dev requirements, then runs lint, format check, type checks and the tests.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k handler`.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || { echo "scripts/test.sh: Python 3.10 or newer is needed ($python is $("$python" --version 2>&1))" >&2; exit 2; }
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

echo "== ruff"; .venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
echo "== mypy"; .venv/bin/python -m mypy
echo "== pytest"; .venv/bin/python -m pytest "$@"
