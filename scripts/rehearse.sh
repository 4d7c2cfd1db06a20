#!/usr/bin/env bash
# Try the whole logger without an AWS account, on a fresh clone: makes .venv like the test command, then
# deploys the stack into moto and plays ECS events through it. Arguments go to `python -m rehearse`
# (event files, --config KEY=VALUE, --json; --organization for organisation mode).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
exec .venv/bin/python -m rehearse "$@"
