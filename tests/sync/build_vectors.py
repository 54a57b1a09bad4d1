"""Writes sync/vectors/*.json from the hand-written cases in vector_cases_*.py.

Run: ``.venv/bin/python tests/sync/build_vectors.py``.  test_vectors.py fails when the JSON is
out of date with these sources, so the files the PWA runs never drift from the Python ones.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from tests.sync import vector_cases_merge as merge  # noqa: E402
from tests.sync import vector_cases_rules as rules  # noqa: E402

OUT = ROOT / "sync" / "vectors"

SUITES: dict[str, tuple[str, Callable[[], list[dict[str, Any]]]]] = {
    "lww": ("Last-writer-wins fields: HLC order, no-ops, own queued edits.", merge.lww_cases),
    "manual": ("Manual fields: concurrent changes open field conflicts.", merge.manual_cases),
    "set": ("Set fields: (theirs ∪ (yours − base)) − (base − yours).", merge.set_cases),
    "state": ("State machines: allowed moves, rejections, state conflicts.", merge.state_cases),
    "hlc": ("Clocks: skew re-clocking and invalid HLCs.", merge.clock_cases),
    "validation": (
        "Field and envelope validation, one error code per case.",
        rules.validation_cases,
    ),
    "seq": ("Per-device seq: repeats, gaps, ordering, idempotent replays.", rules.seq_cases),
    "delete": ("Tombstones, delete_vs_edit and edit_vs_delete.", rules.delete_cases),
    "conflicts": ("Conflict records and their resolution.", rules.conflict_cases),
    "slots": ("psych_sessions bookings: slot_taken and suggestions.", rules.slot_cases),
    "gate": ("The declarative permission gate.", rules.gate_cases),
}


def render() -> dict[str, str]:
    """File name → JSON text for every suite."""
    out = {}
    names: set[str] = set()
    for suite, (description, build) in SUITES.items():
        cases = build()
        for case in cases:
            if case["name"] in names:
                raise SystemExit(f"duplicate case name {case['name']}")
            names.add(case["name"])
        doc = {"suite": suite, "description": description, "cases": cases}
        out[f"{suite}.json"] = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    return out


def main() -> None:
    for name, text in render().items():
        (OUT / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(SUITES)} files to {OUT}")


if __name__ == "__main__":
    main()
