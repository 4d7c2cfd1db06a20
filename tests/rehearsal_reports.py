"""One play of the rehearsal, its report written both ways the command writes it: as ``--json`` and as text.

For tests that read both: a play deploys the whole stack into moto and plays a morning through it (about half a
second), and the two writings of one report say the same play. What the command does with its arguments is the
same code (rehearse/__main__.py: prepare, played, write_report); ``main`` itself is tested elsewhere end to end.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, replace
from typing import Any

from rehearse.__main__ import Prepared, played, prepare, write_report


@dataclass(frozen=True)
class Written:
    """The report's whole JSON text and its text; as data, parsed anew on each read, so no test can change what
    another reads."""

    json_text: str
    text: str

    @property
    def data(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.json_text)
        return document


def written_both_ways(*argv: str) -> Written:
    prepared = prepare(list(argv))
    assert isinstance(prepared, Prepared), f"refused: {argv}"
    report = played(prepared)
    assert not isinstance(report, int), f"refused: {argv}"
    as_json, as_text = io.StringIO(), io.StringIO()
    write_report(report, replace(prepared, json_output=True), as_json)
    write_report(report, replace(prepared, json_output=False), as_text)
    return Written(as_json.getvalue(), as_text.getvalue())
