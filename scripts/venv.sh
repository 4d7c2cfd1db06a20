# Sourced by the scripts a fresh clone runs: makes .venv (Python 3.11+) and installs the dev requirements.
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "$0: Python 3.11 or newer is needed ($python is $("$python" --version 2>&1))" >&2; exit 2; }
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
