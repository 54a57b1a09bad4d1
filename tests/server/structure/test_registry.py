"""The spec registry: each collection registered once, the schema as it was before the move."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from server import specs
from server.disputes.spec import DISPUTES_SPEC
from sync.schema import COLLECTIONS, register_collection, schema_document

#: `GET /api/sync/schema` of schema version 1 as it was before the collections moved to their
#: domains (taken from the old sync/schema.py): the move must not change a byte of it
BEFORE = Path(__file__).with_name("schema_v1.json")


#: fields added to the contract after the move (docs/sync.md "Schema additions"): additions
#: only, none required, so a device of schema version 1 keeps working
ADDITIONS: dict[str, tuple[str, ...]] = {
    "warnings": ("status", "closed_at"),
    "dispatch_orders": (
        "arrival_received_at",
        "arrival_distance_m",
        "checkin_status",
        "last_chased_at",
    ),
    "disputes": ("satisfaction",),
}


def test_the_schema_document_is_unchanged_by_the_move() -> None:
    """The move changed nothing; what came after only adds the listed server fields."""
    specs.ensure_loaded()
    document = schema_document()
    for collection, names in ADDITIONS.items():
        fields = document["collections"][collection]["fields"]
        for name in names:
            assert fields.pop(name)["required"] is False, name
    assert json.dumps(document, ensure_ascii=False) == json.dumps(
        json.loads(BEFORE.read_text(encoding="utf-8")), ensure_ascii=False
    )


def test_the_engine_and_the_server_know_the_same_collections() -> None:
    assert list(COLLECTIONS) == specs.names()
    for spec in specs.all_specs():
        assert COLLECTIONS[spec.name] is spec.schema


def test_registering_again_is_harmless_but_a_second_spec_is_refused() -> None:
    specs.register(DISPUTES_SPEC)
    impostor = dataclasses.replace(DISPUTES_SPEC)
    with pytest.raises(ValueError, match="already registered"):
        specs.register(impostor)
    other = dataclasses.replace(DISPUTES_SPEC.schema, device_writable=False)
    with pytest.raises(ValueError, match="registered differently"):
        register_collection(other)
    assert specs.get("disputes") is DISPUTES_SPEC


def test_an_unknown_collection_has_no_spec() -> None:
    assert specs.find("gossip") is None
    with pytest.raises(KeyError):
        specs.get("gossip")


def test_initial_states_come_from_the_schema_unless_the_spec_says_otherwise() -> None:
    from uuid import uuid4

    from server.accounts.principal import Principal

    someone = Principal(
        user_id=uuid4(), device_id=uuid4(), username="x", role="grid_worker", org_unit_id=None
    )
    assert DISPUTES_SPEC.initial_states_for(someone, {}) == {"status": "registered"}
    assert specs.get("dispatch_orders").initial_states_for(someone, {}) == {"status": "issued"}
    assert specs.get("psych_sessions").initial_states_for(someone, {}) == {"status": "requested"}
