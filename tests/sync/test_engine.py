"""Engine behaviour the vectors do not show: Applied records, server writes, pulls."""

from __future__ import annotations

import pytest

from sync import (
    Actor,
    InvalidMutation,
    MemoryStore,
    Mutation,
    Record,
    Rejected,
    ServerClock,
    push,
    server_write,
)
from sync.hlc import format_hlc

NOW = 1_764_000_000_000
RID = "0000000e-0000-4000-8000-000000000001"
COMMUNITY = "00000000-0000-4000-8000-000000000001"
DEV = "0000000d-0000-4000-8000-000000000001"
USER = "0000000a-0000-4000-8000-000000000001"
ACTOR = Actor(USER, DEV)


def mutation(seq: int, fields: dict[str, object], base: int = 1, op: str = "upsert") -> Mutation:
    return Mutation(
        f"000001{seq:02d}-0000-4000-8000-000000000000",
        seq,
        "disputes",
        RID,
        op,
        base,
        format_hlc(NOW, seq, DEV),
        fields,
    )


def store_with_dispute() -> MemoryStore:
    store = MemoryStore()
    fields = {"community_id": COMMUNITY, "title": "t", "risk_level": "blue", "tags": []}
    store.load(
        Record(
            "disputes",
            RID,
            1,
            False,
            fields,
            dict.fromkeys(fields, 1),
            dict.fromkeys(fields, format_hlc(NOW - 1000, 0, "server")),
        )
    )
    return store


def test_applied_describes_the_write() -> None:
    store = store_with_dispute()
    out = push(
        store,
        ACTOR,
        [mutation(1, {"title": "new", "risk_level": "red"})],
        now_ms=NOW,
        clock=ServerClock(),
    )
    [applied] = out.applied
    assert applied.changes == {"title": ("t", "new"), "risk_level": ("blue", "red")}
    assert applied.before is not None and applied.before.version == 1
    assert applied.after.version == 2
    assert applied.after.updated_at == "2025-11-24T16:00:00.000Z"
    assert applied.mutation_id == mutation(1, {}).id
    assert applied.actor == ACTOR


def test_lww_loser_is_discarded() -> None:
    store = store_with_dispute()
    server_write(
        store, "disputes", RID, {"title": "server"}, now_ms=NOW + 60_000, clock=ServerClock()
    )
    out = push(store, ACTOR, [mutation(1, {"title": "mine"})], now_ms=NOW, clock=ServerClock())
    assert out.results[0].status == "merged"
    assert out.applied == []
    assert store.get("disputes", RID).fields["title"] == "server"  # type: ignore[union-attr]


def test_server_write_versions_like_any_write() -> None:
    store = store_with_dispute()
    clock = ServerClock()
    applied = server_write(store, "disputes", RID, {"risk_level": "red"}, now_ms=NOW, clock=clock)
    assert applied.after.version == 2
    assert applied.after.field_clocks["risk_level"] == format_hlc(NOW, 0, "server")
    again = server_write(store, "disputes", RID, {"risk_level": "red"}, now_ms=NOW, clock=clock)
    assert again.changes == {} and again.after.version == 2
    created = server_write(
        store, "warnings", RID, {"level": "red", "org_unit_id": COMMUNITY}, now_ms=NOW, clock=clock
    )
    assert created.created and created.after.version == 1
    gone = server_write(store, "disputes", RID, {}, now_ms=NOW, clock=clock, deleted=True)
    assert gone.after.deleted and gone.after.version == 3
    with pytest.raises(Rejected):
        server_write(store, "disputes", RID, {"nope": 1}, now_ms=NOW, clock=clock)


def test_a_concurrent_server_write_makes_a_manual_conflict() -> None:
    store = store_with_dispute()
    server_write(store, "disputes", RID, {"risk_level": "orange"}, now_ms=NOW, clock=ServerClock())
    out = push(store, ACTOR, [mutation(1, {"risk_level": "red"})], now_ms=NOW, clock=ServerClock())
    assert out.results[0].status == "conflict"
    [conflict] = store.conflicts()
    assert conflict.fields["theirs_by"] is None


def test_changes_since_pages() -> None:
    store = store_with_dispute()
    push(
        store,
        ACTOR,
        [mutation(1, {"title": "a"}), mutation(2, {"title": "b"})],
        now_ms=NOW,
        clock=ServerClock(),
    )
    records, cursor = store.changes_since(0)
    assert [(r.id, r.version) for r in records] == [(RID, 3)]
    assert store.changes_since(cursor) == ([], cursor)


def test_result_json_is_the_protocol_object() -> None:
    store = store_with_dispute()
    out = push(store, ACTOR, [mutation(1, {"mood": 1})], now_ms=NOW, clock=ServerClock())
    assert out.results[0].to_json() == {
        "id": mutation(1, {}).id,
        "seq": 1,
        "status": "rejected",
        "record_version": None,
        "conflict_ids": [],
        "clock_adjusted": False,
        "error": {
            "code": "unknown_field",
            "message": "disputes has no field 'mood'",
            "details": {"field": "mood"},
        },
    }


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {"id": 1},
        {
            "id": "x",
            "seq": 0,
            "collection": "d",
            "record_id": "r",
            "op": "upsert",
            "base_version": 0,
            "hlc": "h",
        },
        {
            "id": "x",
            "seq": True,
            "collection": "d",
            "record_id": "r",
            "op": "upsert",
            "base_version": 0,
            "hlc": "h",
        },
        {
            "id": "x",
            "seq": 1,
            "collection": "d",
            "record_id": "r",
            "op": "upsert",
            "base_version": 0,
            "hlc": "h",
            "fields": [],
        },
    ],
)
def test_malformed_mutations(bad: object) -> None:
    with pytest.raises(InvalidMutation):
        Mutation.from_json(bad)


def test_record_and_mutation_json_round_trip() -> None:
    store = store_with_dispute()
    record = store.get("disputes", RID)
    assert record is not None
    assert Record.from_json(record.to_json()) == record
    m = mutation(1, {"tags": ["a"]})
    assert Mutation.from_json(m.to_json()) == m
