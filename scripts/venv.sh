# Sourced by the scripts a fresh clone runs: makes .venv (Python 3.11+) and installs the dev requirements.
# PYTHON=python3.13 bash scripts/test.sh makes the .venv with another interpreter (default: python3).
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "$0: Python 3.11 or newer is needed ($python is $("$python" --version 2>&1)); set PYTHON=python3.x" >&2; exit 2; }
  echo "First run: making .venv with $python and installing the dev requirements (about 1.5 minutes and 750 MB; later runs"
  echo "check them in a few seconds). pip lists each package as it goes:"
  "$python" -m venv .venv
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar on -r requirements-dev.txt \
    | grep --line-buffered -E '^(Collecting|Successfully installed)' | cut -c1-100
  echo "== .venv ready"
else
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
fi
