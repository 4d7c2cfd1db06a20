"""Try the whole logger without an AWS account: the stack in moto, the in-process AWS emulator, and events
played through it (`python3 -m rehearse`, or `bash scripts/rehearse.sh` on a fresh clone).

The same machinery the rehearsal tests use: the program under Pulumi's mocks (tests/pulumi_mocks.py), its
resources created in moto with the provider's calls (tests/aws_rehearsal.py), and the filter-pattern
evaluator here (rehearse/filter_patterns.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
# The mocks and the rehearsal live beside the tests, which use them too; one copy serves both.
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
