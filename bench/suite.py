"""The test command's wall time, as a developer waits for it: `bash scripts/test.sh` from start to end.

Absolute seconds depend on the machine (the same suite takes twice as long on a machine half as fast), so the
budget is a ratio to a baseline run side by side: the baseline commit's own `bash scripts/test.sh -q`, as it was
(its own test.sh, its own .venv), in a git worktree of that commit outside this repository, its runs taking turns
with this tree's on the same machine at the same time, so a slow spell slows both sides alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = ("bash", "scripts/test.sh", "-q")
# The tree whose suite the budget's 110 s timed: its 479 tests in one process, with none of the test bed's savings.
BASELINE_REV = "cb06416c850865ab280dfd972383f5d0c470ccd7"
# The budget: 45 s where the baseline took 110 s, on the same machine.
BUDGET_SECONDS = 45.0
BASELINE_SECONDS = 110.0
BUDGET_RATIO = BUDGET_SECONDS / BASELINE_SECONDS

BASELINE = "baseline"
CURRENT = "current"


def time_command(command: Sequence[str] = COMMAND, cwd: Path = ROOT) -> float:
    """Seconds one run takes; RuntimeError with its last lines if it fails (a failing suite has no time to report)."""
    start = time.perf_counter()
    result = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-5:])
        raise RuntimeError(f"{' '.join(command)} in {cwd} exited {result.returncode}:\n{tail}")
    return seconds


def measure(runs: int, command: Sequence[str] = COMMAND, cwd: Path = ROOT) -> tuple[float, list[float]]:
    """The median of ``runs`` runs in a row, and each run's seconds."""
    samples = [time_command(command, cwd) for _ in range(runs)]
    return statistics.median(samples), samples


def turns(runs: int) -> list[str]:
    """Which side runs when: baseline, current, baseline, current, ... ``runs`` of each.

    Alternating spreads a slow spell of the machine over both sides instead of all on one.
    """
    return [side for _ in range(runs) for side in (BASELINE, CURRENT)]


@dataclass(frozen=True)
class SideBySide:
    """Both sides' seconds, in the order they ran."""

    baseline: tuple[float, ...]
    current: tuple[float, ...]

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline)

    @property
    def current_median(self) -> float:
        return statistics.median(self.current)

    @property
    def ratio(self) -> float:
        """This tree's median over the baseline's: below 1 is faster."""
        return self.current_median / self.baseline_median

    def within_budget(self, budget: float = BUDGET_RATIO) -> bool:
        return self.ratio <= budget


def side_by_side(runs: int, baseline: Path, current: Path, timer: Callable[[Path], float]) -> SideBySide:
    """``runs`` timings of each tree, taking turns (``turns``); ``timer`` times the command in the tree it is given."""
    if runs < 1:
        raise ValueError("side by side needs at least one run of each")
    seconds: dict[str, list[float]] = {BASELINE: [], CURRENT: []}
    trees = {BASELINE: baseline, CURRENT: current}
    for side in turns(runs):
        seconds[side].append(timer(trees[side]))
    return SideBySide(tuple(seconds[BASELINE]), tuple(seconds[CURRENT]))


def cache_dir() -> Path:
    """Where the baseline's worktree lives: outside the repository, kept between benchmark runs."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ecs-task-events"


def _git(*arguments: str, cwd: Path = ROOT) -> str:
    result = subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def baseline_tree(rev: str = BASELINE_REV, cache: Path | None = None, root: Path = ROOT) -> tuple[Path, str, bool]:
    """A git worktree of ``rev`` (detached) under ``cache``: its path, its commit, and whether it was just made.

    An existing worktree at that commit is reused, with the .venv and caches its earlier runs left. The
    baseline's tests list files with git, so it is a worktree, not an export.
    """
    commit = _git("rev-parse", "--verify", f"{rev}^{{commit}}", cwd=root)
    tree = (cache or cache_dir()) / f"baseline-{commit[:12]}"
    if (tree / ".git").exists() and _git("rev-parse", "HEAD", cwd=tree) == commit:
        return tree, commit, False
    tree.parent.mkdir(parents=True, exist_ok=True)
    _git("worktree", "prune", cwd=root)  # a registration left by a deleted directory would block the add
    _git("worktree", "add", "--force", "--detach", str(tree), commit, cwd=root)
    return tree, commit, True


def measure_against_baseline(runs: int, rev: str = BASELINE_REV) -> tuple[SideBySide, str]:
    """This tree's test command against ``rev``'s, side by side; and the baseline's commit.

    A baseline worktree without a .venv gets one untimed run first: its own scripts make the .venv, and the first
    run of mypy and pytest fills their caches, which the budget's warm figure did not pay.
    """
    tree, commit, _made = baseline_tree(rev)
    if not (tree / ".venv" / "bin" / "python").exists():
        time_command(COMMAND, tree)
    return side_by_side(runs, tree, ROOT, lambda cwd: time_command(COMMAND, cwd)), commit
