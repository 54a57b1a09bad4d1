"""GET /api/sync/schema (SYNC_PROTOCOL.md "Schema", SCHEMA.md)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import login
from tests.server.replication.support import assert_error

pytestmark = pytest.mark.usefixtures("database")

COLLECTIONS = {
    "org_units",
    "users",
    "disputes",
    "visits",
    "consultations",
    "psych_slots",
    "psych_sessions",
    "dispatch_orders",
    "warnings",
    "notifications",
    "conflicts",
    "agreements",
}
TYPES = {"string", "text", "integer", "boolean", "datetime", "enum", "ref", "geo", "list"}
# the server's documented extensions (free-form JSON of conflicts and an order's arrival)
EXTRA_TYPES = {"object", "any"}
POLICIES = {"lww", "manual", "set", "state", "immutable", "server"}

# (collection, field, type, policy, required) straight from SCHEMA.md
FIELDS = [
    ("disputes", "community_id", "ref", "immutable", True),
    ("disputes", "grid_id", "ref", "lww", False),
    ("disputes", "channel", "enum", "immutable", False),
    ("disputes", "title", "string", "lww", True),
    ("disputes", "description", "text", "lww", False),
    ("disputes", "parties", "list", "set", False),
    ("disputes", "location", "geo", "lww", False),
    ("disputes", "photos", "list", "set", False),
    ("disputes", "tags", "list", "set", False),
    ("disputes", "risk_level", "enum", "manual", True),
    ("disputes", "status", "enum", "state", False),
    ("disputes", "resolution_summary", "text", "manual", False),
    ("visits", "dispute_id", "ref", "immutable", True),
    ("visits", "photos", "list", "set", False),
    ("consultations", "community_id", "ref", "immutable", True),
    ("consultations", "advice", "text", "manual", False),
    ("consultations", "referral", "enum", "manual", False),
    ("consultations", "duration_minutes", "integer", "lww", False),
    ("psych_slots", "psychologist_id", "ref", "immutable", True),
    ("psych_sessions", "psychologist_id", "ref", "immutable", True),
    ("psych_sessions", "starts_at", "datetime", "lww", True),
    ("psych_sessions", "ends_at", "datetime", "lww", True),
    ("psych_sessions", "status", "enum", "state", False),
    ("psych_sessions", "notes", "text", "lww", False),
    ("psych_sessions", "risk_level", "enum", "manual", False),
    ("dispatch_orders", "community_id", "ref", "immutable", True),
    ("dispatch_orders", "department_id", "ref", "immutable", True),
    ("dispatch_orders", "arrive_by", "datetime", "lww", True),
    ("dispatch_orders", "status", "enum", "state", False),
    ("dispatch_orders", "resolution_note", "text", "manual", False),
    ("dispatch_orders", "overdue", "boolean", "server", False),
    ("dispatch_orders", "escalation_level", "enum", "server", False),
    ("warnings", "acknowledged_by", "list", "set", False),
    ("notifications", "read", "boolean", "lww", False),
    ("notifications", "title", "string", "server", False),
    ("conflicts", "status", "enum", "state", False),
    ("conflicts", "theirs_by", "ref", "server", False),
    ("org_units", "name", "string", "server", False),
    ("users", "role", "enum", "server", False),
]

STATES = {
    ("disputes", "status"): {
        "registered": {"mediating", "escalated", "withdrawn"},
        "mediating": {"resolved", "escalated"},
        "escalated": {"mediating", "resolved"},
        "resolved": {"closed", "mediating"},
        "closed": {"mediating"},
    },
    ("psych_sessions", "status"): {
        "requested": {"scheduled", "cancelled"},
        "scheduled": {"completed", "cancelled", "no_show"},
    },
    ("dispatch_orders", "status"): {
        "issued": {"acknowledged"},
        "acknowledged": {"arrived"},
        "arrived": {"resolved"},
        "resolved": {"verified", "reopened"},
        "reopened": {"arrived"},
    },
}


@pytest.fixture(scope="module")
async def schema(client: Any) -> dict[str, Any]:
    session = await login(client, "gw.a1")
    response = await session.get("/api/sync/schema")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_schema_has_version_and_every_collection(schema: dict[str, Any]) -> None:
    assert schema["schema_version"] == 1
    assert set(schema) == {"schema_version", "collections"}
    assert set(schema["collections"]) == COLLECTIONS


async def test_every_field_is_described(schema: dict[str, Any]) -> None:
    for name, collection in schema["collections"].items():
        assert set(collection) <= {"fields", "states"}, name
        for field_name in ("id", "version", "created_at", "updated_at", "created_by"):
            assert collection["fields"][field_name]["policy"] == "server", (name, field_name)
        for field_name, spec in collection["fields"].items():
            where = f"{name}.{field_name}"
            assert {"type", "policy", "required"} <= set(spec), where
            assert spec["type"] in TYPES | EXTRA_TYPES, where
            assert spec["policy"] in POLICIES, where
            assert isinstance(spec["required"], bool), where
            if spec["type"] == "enum":
                assert spec["enum"] and all(isinstance(v, str) for v in spec["enum"]), where
            else:
                assert "enum" not in spec, where
            if spec["type"] == "ref":
                assert spec.get("ref") is None or spec["ref"] in COLLECTIONS, where
            if "max_length" in spec:
                assert isinstance(spec["max_length"], int) and spec["max_length"] > 0, where


@pytest.mark.parametrize(("collection", "field", "type_", "policy", "required"), FIELDS)
async def test_field_matches_schema_md(
    schema: dict[str, Any], collection: str, field: str, type_: str, policy: str, required: bool
) -> None:
    spec = schema["collections"][collection]["fields"][field]
    assert (spec["type"], spec["policy"], spec["required"]) == (type_, policy, required)


async def test_enums_and_refs(schema: dict[str, Any]) -> None:
    disputes = schema["collections"]["disputes"]["fields"]
    assert disputes["risk_level"]["enum"] == ["blue", "yellow", "orange", "red"]
    assert disputes["community_id"]["ref"] == "org_units"
    assert disputes["title"]["max_length"] == 200
    assert disputes["description"]["max_length"] == 10_000
    assert set(schema["collections"]["users"]["fields"]["role"]["enum"]) == {
        "grid_worker",
        "lawyer",
        "psychologist",
        "community_admin",
        "department_officer",
        "street_admin",
        "district_admin",
    }
    # the directory holds no password or contact data
    assert not {"password", "password_hash", "phone", "email"} & set(
        schema["collections"]["users"]["fields"]
    )


@pytest.mark.parametrize(("collection", "field"), sorted(STATES))
async def test_state_machines(schema: dict[str, Any], collection: str, field: str) -> None:
    machine = schema["collections"][collection]["states"][field]
    expected = STATES[(collection, field)]
    for state, targets in expected.items():
        assert set(machine[state]) == targets, (collection, state)
    # every state of the enum is in the machine (terminal states map to [])
    enum = set(schema["collections"][collection]["fields"][field]["enum"])
    assert set(machine) == enum
    for targets in machine.values():
        assert set(targets) <= enum


async def test_schema_needs_a_token(client: Any) -> None:
    assert_error(await client.get("/api/sync/schema"), 401)
