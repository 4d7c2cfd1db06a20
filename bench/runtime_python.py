"""Find an interpreter of the function's Python version, to measure and test on what Lambda runs.

The machine's Python may be older than the function's runtime; pyenv often
has the newer one installed beside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from components.event_logger import RUNTIME


def lambda_python() -> str | None:
    """An interpreter of the function's runtime version (python3.13), if this machine has one.

    Looked for on PATH, then among pyenv's versions; a pyenv shim on PATH for a
    version not selected fails to run, so each candidate is asked its version.
    """
    version = RUNTIME.removeprefix("python")
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [
        shutil.which(RUNTIME),
        *sorted(str(path) for path in pyenv_root.glob(f"versions/{version}*/bin/{RUNTIME}")),
    ]
    for candidate in candidates:
        if candidate is None:
            continue
        probe = [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
        answer = subprocess.run(probe, check=False, capture_output=True, text=True)
        if answer.returncode == 0 and answer.stdout.strip() == version:
            return candidate
    return None
