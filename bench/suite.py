"""The test command's wall time, as a developer waits for it: `bash scripts/test.sh` from start to end."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = ("bash", "scripts/test.sh", "-q")


def time_command(command: Sequence[str] = COMMAND, cwd: Path = ROOT) -> float:
    """Seconds one run takes; RuntimeError with its last lines if it fails (a failing suite has no time to report)."""
    start = time.perf_counter()
    result = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-5:])
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{tail}")
    return seconds


def measure(runs: int, command: Sequence[str] = COMMAND, cwd: Path = ROOT) -> tuple[float, list[float]]:
    """The median of ``runs`` runs in a row, and each run's seconds."""
    samples = [time_command(command, cwd) for _ in range(runs)]
    return statistics.median(samples), samples
