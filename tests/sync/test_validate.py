"""Field validation against schema.py, beyond what the vectors cover."""

from __future__ import annotations

import pytest

from sync.model import Record, Rejected
from sync.schema import COLLECTIONS
from sync.times import ms_from_rfc3339, parse_rfc3339, rfc3339_from_ms
from sync.validate import check_value, collection_for, validate_fields, validate_required

D = COLLECTIONS["disputes"]


def code_of(fields: dict[str, object], current: Record | None = None) -> str | None:
    try:
        validate_fields(D, fields, current)
    except Rejected as exc:
        assert exc.error.details.get("field") in (*fields, None)
        return exc.error.code
    return None


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": "ok"}, None),
        ({"description": "x" * 10_000}, None),
        ({"description": "x" * 10_001}, "validation"),
        ({"location": {"lat": 1.5, "lng": -2}}, None),
        ({"location": {"lat": True, "lng": 0}}, "validation"),
        ({"location": {"lat": 1, "lng": 2, "accuracy_m": -1}}, "validation"),
        ({"location": None}, None),
        ({"follow_up_at": "2025-11-24T16:00:00Z"}, None),
        ({"follow_up_at": "2025-11-24T16:00:00.123456+00:00"}, None),
        ({"follow_up_at": "2025-02-30T16:00:00Z"}, "validation"),
        ({"photos": ["A" * 64]}, "validation"),
        ({"parties": [{"name": ""}]}, "validation"),
        ({"parties": [{"name": "Li", "phone": "1" * 33}]}, "validation"),
        ({"tags": ["x"] * 1}, None),
        ({"tags": [f"t{i}" for i in range(201)]}, "validation"),
        ({"status": "bogus"}, "validation"),
        ({"id": "x"}, "read_only_field"),
        ({"updated_at": "x"}, "read_only_field"),
        ({"nope": 1}, "unknown_field"),
    ],
)
def test_fields(fields: dict[str, object], code: str | None) -> None:
    assert code_of(fields) == code


def test_required_on_create() -> None:
    with pytest.raises(Rejected) as info:
        validate_required(D, {"title": "x", "community_id": "0" * 8})
    assert info.value.error.details["field"] == "risk_level"


def test_collections() -> None:
    with pytest.raises(Rejected) as info:
        collection_for("users")
    assert info.value.error.code == "forbidden"
    assert collection_for("users", writing=False).name == "users"
    with pytest.raises(Rejected) as info:
        collection_for("nope")
    assert info.value.error.code == "unknown_collection"


def test_integer_limits() -> None:
    f = COLLECTIONS["consultations"].fields["duration_minutes"]
    assert check_value(f, 0) is None
    assert check_value(f, 1440) is None
    assert check_value(f, 1441) is not None
    assert check_value(f, 1.5) is not None


def test_times() -> None:
    assert rfc3339_from_ms(0) == "1970-01-01T00:00:00.000Z"
    assert ms_from_rfc3339("2025-11-24T16:00:00.5Z") == 1_764_000_000_500
    assert parse_rfc3339("2025-11-24T16:00:00") is None
    assert parse_rfc3339("2025-11-24t16:00:00z") is None
