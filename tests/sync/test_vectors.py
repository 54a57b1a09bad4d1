"""Every case of sync/vectors through the engine, and the JSON kept in step with its sources."""

from __future__ import annotations

from typing import Any

import pytest

from sync.vector_runner import VECTOR_DIR, load_cases, run_case
from tests.sync import build_vectors

CASES = load_cases()


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 60
    assert len({c["name"] for c in CASES}) == len(CASES)


def test_json_matches_sources() -> None:
    for name, text in build_vectors.render().items():
        assert (VECTOR_DIR / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: run .venv/bin/python tests/sync/build_vectors.py"
        )


def test_every_status_and_error_code_is_covered() -> None:
    statuses, codes = set(), set()
    for case in CASES:
        for batch in case["pushes"]:
            for result in batch["expect"]["results"]:
                statuses.add(result.get("status"))
                codes.add(result.get("error"))
    assert statuses >= {"applied", "merged", "conflict", "rejected"}
    assert codes >= {
        "forbidden",
        "validation",
        "unknown_collection",
        "unknown_field",
        "immutable_field",
        "read_only_field",
        "invalid_transition",
        "slot_taken",
        "seq_gap",
        "not_found",
    }


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case: dict[str, Any]) -> None:
    run = run_case(case)
    assert not run.failures, "\n".join([case["description"], *run.failures])
