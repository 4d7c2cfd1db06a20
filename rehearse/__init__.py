"""Try the whole logger without an AWS account: the stack in moto, the in-process AWS emulator, and events
played through it (`python3 -m rehearse`, or `bash scripts/rehearse.sh` on a fresh clone).

The same machinery the tests use, one copy for both: the program under Pulumi's mocks (mocks.py), its
resources created in moto with the provider's calls (aws.py), the filter-pattern evaluator
(filter_patterns.py) and the metric and alarm evaluation (metrics.py).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
