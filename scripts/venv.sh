# Sourced by the scripts a fresh clone runs: makes .venv (Python 3.11+) and installs the dev requirements.
# pip takes seconds even when everything is installed, so the install is skipped while a stamp in .venv matches:
# a hash of both requirements files, the venv's Python version and the packages installed in it. Change a
# requirement, upgrade Python, or install or remove a package by hand, and the next run installs again.
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "$0: Python 3.11 or newer is needed ($python is $("$python" --version 2>&1))" >&2; exit 2; }
  "$python" -m venv .venv
fi
requirements_stamp() {
  { cat requirements.txt requirements-dev.txt; .venv/bin/python -VV; ls -d .venv/lib/python3*/site-packages/*.dist-info; } \
    | sha256sum | cut -d' ' -f1
}
stamp=.venv/.ecs-task-events-requirements
if [ "$(cat "$stamp" 2>/dev/null)" != "$(requirements_stamp)" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  requirements_stamp >"$stamp"
fi
