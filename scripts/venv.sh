# Sourced by the scripts a fresh clone runs: makes .venv (Python 3.11+) and installs the dev requirements.
# PYTHON=python3.13 bash scripts/test.sh makes the .venv with another interpreter (default: python3).
# pip takes seconds even when everything is installed, so the install is skipped while a stamp in .venv matches:
# a hash of both requirements files, the venv's Python version and the packages installed in it. Change a
# requirement, upgrade Python, or install or remove a package by hand, and the next run installs again.
# --no-compile: pip would otherwise byte-compile every module it installs (all 240 subpackages of pulumi_aws, most
# of the install's time); Python compiles the few the tests import on first use instead, into __pycache__.
python=${PYTHON:-python3}
requirements_stamp() {
  { cat requirements.txt requirements-dev.txt; .venv/bin/python -VV; ls -d .venv/lib/python3*/site-packages/*.dist-info; } \
    | sha256sum | cut -d' ' -f1
}
stamp=.venv/.ecs-task-events-requirements
if [ ! -x .venv/bin/python ]; then
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "$0: Python 3.11 or newer is needed ($python is $("$python" --version 2>&1)); set PYTHON=python3.x" >&2; exit 2; }
  echo "First run: making .venv with $python and installing the dev requirements (about 30 seconds and 600 MB; later runs"
  echo "go straight to the checks). pip lists each package as it goes:"
  "$python" -m venv .venv
  .venv/bin/python -m pip install --no-compile --disable-pip-version-check --progress-bar on -r requirements-dev.txt \
    | grep --line-buffered -E '^(Collecting|Successfully installed)' | cut -c1-100
  requirements_stamp >"$stamp"
  echo "== .venv ready"
elif [ "$(cat "$stamp" 2>/dev/null)" != "$(requirements_stamp)" ]; then
  .venv/bin/python -m pip install --no-compile --quiet --disable-pip-version-check -r requirements-dev.txt
  requirements_stamp >"$stamp"
fi
