"""Vector cases for validation, seq handling, deletes, conflicts, bookings and the gate."""

from __future__ import annotations

from typing import Any

from tests.sync.vector_kit import (
    COMMUNITY,
    DA,
    DB,
    DEPT,
    HOUR,
    PSY,
    R1,
    R2,
    R3,
    ROOM1,
    ROOM2,
    UA,
    UB,
    at,
    batch,
    case,
    cid,
    device,
    dispute,
    hlc,
    mid,
    mut,
    rec,
    res,
    u,
    want,
)

Case = dict[str, Any]
D = "disputes"


def _reject(
    name: str,
    description: str,
    mutation: dict[str, Any],
    code: str,
    field: str | None = None,
    records: list[dict[str, Any]] | None = None,
    **details: Any,
) -> Case:
    """A single mutation rejected with ``code``; the stored dispute R1 stays at version 1."""
    if field is not None:
        details["field"] = field
    expected = res("rejected", code, details=details) if details else res("rejected", code)
    stored = [rec(D, R1, 1, dispute())] if records is None else records
    expect: dict[str, Any] = {"conflicts": [], "last_seq": {DA: 1}}
    if records is None:
        expect["records"] = [want(D, R1, 1, {"title": "Noise at night"})]
    return case(
        f"validation/{name}",
        description,
        records=stored,
        pushes=[batch(DA, [mutation], [expected])],
        expect=expect,
    )


def _m(fields: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return mut(1, D, R1, fields, **kw)


def _create(collection: str, fields: dict[str, Any]) -> dict[str, Any]:
    return mut(1, collection, R2, fields, base=0)


def _session(**over: Any) -> dict[str, Any]:
    fields = {
        "psychologist_id": PSY,
        "room_id": ROOM1,
        "starts_at": at(24 * HOUR),
        "ends_at": at(25 * HOUR),
        "status": "scheduled",
    }
    fields.update(over)
    return fields


def validation_cases() -> list[Case]:
    long_title = "x" * 201
    order = {
        "community_id": COMMUNITY,
        "department_id": DEPT,
        "arrive_by": at(HOUR),
        "resolve_by": at(2 * HOUR),
        "status": "issued",
    }
    return [
        _reject(
            "unknown-collection",
            "A collection the schema does not have.",
            mut(1, "complaints", R1, {"title": "x"}),
            "unknown_collection",
        ),
        _reject(
            "read-only-directory",
            "org_units is a read-only directory.",
            mut(1, "org_units", R1, {"name": "x"}),
            "forbidden",
        ),
        _reject(
            "read-only-directory-delete",
            "users cannot be deleted by a device.",
            mut(1, "users", R1, op="delete"),
            "forbidden",
        ),
        _reject(
            "create-conflict-forbidden",
            "Only the server opens conflicts.",
            _create("conflicts", {"status": "open"}),
            "forbidden",
        ),
        _reject(
            "create-notification-forbidden",
            "Only the server creates notifications.",
            _create("notifications", {"read": False}),
            "forbidden",
        ),
        _reject(
            "unknown-field",
            "A field disputes does not have.",
            _m({"mood": "calm"}),
            "unknown_field",
            field="mood",
        ),
        _reject(
            "server-field",
            "dispatch_orders.overdue is set by the deadline checker.",
            mut(1, "dispatch_orders", R1, {"overdue": True}),
            "read_only_field",
            field="overdue",
            records=[rec("dispatch_orders", R1, 1, order)],
        ),
        _reject(
            "common-field-version",
            "version belongs to the server.",
            _m({"version": 9}),
            "read_only_field",
            field="version",
        ),
        _reject(
            "common-field-created-by",
            "created_by belongs to the server.",
            _m({"created_by": UA}),
            "read_only_field",
            field="created_by",
        ),
        _reject(
            "immutable-changed",
            "community_id is set at creation only.",
            _m({"community_id": u(2, 0)}),
            "immutable_field",
            field="community_id",
        ),
        _reject(
            "required-missing-on-create",
            "A dispute needs a title.",
            _create(D, {"community_id": COMMUNITY, "risk_level": "blue"}),
            "validation",
            field="title",
        ),
        _reject(
            "required-set-null",
            "A required field cannot be cleared.",
            _m({"title": None}),
            "validation",
            field="title",
        ),
        _reject("wrong-type", "title is a string.", _m({"title": 5}), "validation", field="title"),
        _reject(
            "enum",
            "risk_level is one of four colours.",
            _m({"risk_level": "purple"}),
            "validation",
            field="risk_level",
        ),
        _reject(
            "max-length",
            "string fields hold at most 200 characters.",
            _m({"title": long_title}),
            "validation",
            field="title",
        ),
        _reject(
            "string-one-line",
            "string fields are one line (text fields are not).",
            _m({"title": "a\nb"}),
            "validation",
            field="title",
        ),
        _reject(
            "integer-range",
            "ratings are 1 to 5.",
            mut(1, "dispatch_orders", R1, {"community_rating": 6}),
            "validation",
            field="community_rating",
            records=[rec("dispatch_orders", R1, 1, order)],
        ),
        _reject(
            "integer-not-boolean",
            "true is not an integer.",
            mut(1, "consultations", R1, {"duration_minutes": True}),
            "validation",
            field="duration_minutes",
            records=[rec("consultations", R1, 1, {"community_id": COMMUNITY})],
        ),
        _reject(
            "datetime-format",
            "datetimes are RFC 3339.",
            _m({"follow_up_at": "2025-11-24 16:00"}),
            "validation",
            field="follow_up_at",
        ),
        _reject(
            "datetime-not-utc",
            "datetimes are UTC.",
            _m({"follow_up_at": "2025-11-25T00:00:00+08:00"}),
            "validation",
            field="follow_up_at",
        ),
        _reject(
            "datetime-impossible",
            "month 13 does not exist.",
            _m({"follow_up_at": "2025-13-01T00:00:00Z"}),
            "validation",
            field="follow_up_at",
        ),
        _reject(
            "ref-not-uuid",
            "refs are lowercase UUIDs.",
            _m({"assignee_id": "ABC"}),
            "validation",
            field="assignee_id",
        ),
        _reject(
            "geo-out-of-range",
            "latitude is at most 90.",
            _m({"location": {"lat": 91, "lng": 0}}),
            "validation",
            field="location",
        ),
        _reject(
            "geo-extra-key",
            "geo has lat, lng, accuracy_m only.",
            _m({"location": {"lat": 1, "lng": 2, "alt": 3}}),
            "validation",
            field="location",
        ),
        _reject(
            "attachment-not-sha256",
            "photos are sha256 hashes.",
            _m({"photos": ["abc"]}),
            "validation",
            field="photos",
        ),
        _reject(
            "party-shape",
            "parties are {name, phone, role}.",
            _m({"parties": [{"name": "Li", "age": "3"}]}),
            "validation",
            field="parties",
        ),
        _reject(
            "list-null",
            "lists are cleared with [], not null.",
            _m({"tags": None}),
            "validation",
            field="tags",
        ),
        _reject(
            "list-duplicates",
            "a set holds each item once.",
            _m({"tags": ["a", "a"]}),
            "validation",
            field="tags",
        ),
        _reject(
            "ends-before-starts",
            "a slot ends after it starts.",
            _create(
                "psych_slots",
                {"psychologist_id": PSY, "starts_at": at(2 * HOUR), "ends_at": at(HOUR)},
            ),
            "validation",
            field="ends_at",
        ),
        _reject(
            "delete-with-fields",
            "a delete carries no fields.",
            _m({"title": "x"}, op="delete"),
            "validation",
            field="fields",
        ),
        _reject(
            "bad-op",
            "op is upsert or delete.",
            _m({"title": "x"}, op="patch"),
            "validation",
            field="op",
        ),
        _reject(
            "record-id-not-uuid",
            "record ids are UUIDs.",
            mut(1, D, "R1", {"title": "x"}),
            "validation",
            field="record_id",
        ),
        _reject(
            "base-version-ahead",
            "base_version above the server's version.",
            _m({"title": "x"}, base=5),
            "validation",
            field="base_version",
        ),
        _reject(
            "not-found-edit",
            "base_version > 0 on a record the server does not have.",
            mut(1, D, R2, {"title": "x"}, base=2),
            "not_found",
        ),
        _reject(
            "not-found-delete",
            "deleting a record the server does not have.",
            mut(1, D, R2, op="delete", base=0),
            "not_found",
        ),
        case(
            "validation/immutable-same-value-ok",
            "Sending an immutable field's current value again is harmless.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[batch(DA, [_m({"community_id": COMMUNITY})], [res("applied", version=1)])],
            expect={"records": [want(D, R1, 1)]},
        ),
        case(
            "validation/create-every-type",
            "A create with every kind of value; absent fields stay absent.",
            pushes=[
                batch(
                    DA,
                    [
                        _create(
                            D,
                            {
                                "community_id": COMMUNITY,
                                "title": "Wages unpaid",
                                "risk_level": "yellow",
                                "status": "registered",
                                "channel": "door_to_door",
                                "category": "labour_wages",
                                "description": "Line one\nLine two",
                                "location": {"lat": 22.75, "lng": 113.93, "accuracy_m": 12.5},
                                "parties": [{"name": "Li", "phone": "138", "role": "worker"}],
                                "photos": ["a" * 64],
                                "tags": ["wages"],
                                "follow_up_at": at(HOUR),
                            },
                        )
                    ],
                    [res("applied", version=1)],
                )
            ],
            expect={
                "records": [
                    want(
                        D,
                        R2,
                        1,
                        {"title": "Wages unpaid", "tags": ["wages"]},
                        absent=["grid_id", "assignee_id"],
                    )
                ]
            },
        ),
    ]


def seq_cases() -> list[Case]:
    stored = {
        "id": mid(1),
        "seq": 1,
        "status": "applied",
        "record_version": 2,
        "conflict_ids": [],
        "clock_adjusted": False,
        "error": None,
    }
    return [
        case(
            "seq/repeat-returns-stored-answer",
            "A seq already answered gets its stored answer and is not applied again.",
            records=[rec(D, R1, 2, dispute(title="After 1"), fv={"title": 2})],
            devices=[device(DA, 1, [stored]), device(DB)],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"title": "Again"})],
                    [{"seq": 1, "status": "applied", "record_version": 2, "same_as_stored": True}],
                )
            ],
            expect={"records": [want(D, R1, 2, {"title": "After 1"})], "last_seq": {DA: 1}},
        ),
        case(
            "seq/gap-stops-batch",
            "seq 2 when nothing was answered: seq_gap, not stored, the rest unanswered.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(2, D, R1, {"title": "x"}), mut(3, D, R1, {"title": "y"})],
                    [
                        res(
                            "rejected",
                            "seq_gap",
                            seq=2,
                            record_version=None,
                            details={"expected_seq": 1},
                        )
                    ],
                    stopped=True,
                )
            ],
            expect={"records": [want(D, R1, 1, {"title": "Noise at night"})], "last_seq": {DA: 0}},
        ),
        case(
            "seq/gap-mid-batch",
            "1 is applied, 3 hits the gap, 4 gets no answer.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [
                        mut(1, D, R1, {"title": "one"}),
                        mut(3, D, R1, {"title": "three"}),
                        mut(4, D, R1, {"title": "four"}),
                    ],
                    [res("applied", version=2, seq=1), res("rejected", "seq_gap", seq=3)],
                    stopped=True,
                )
            ],
            expect={"records": [want(D, R1, 2, {"title": "one"})], "last_seq": {DA: 1}},
        ),
        case(
            "seq/batch-applied-in-seq-order",
            "A batch sent out of order is processed and answered in seq order.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(2, D, R1, {"title": "two"}), mut(1, D, R1, {"title": "one"})],
                    [res("applied", version=2, seq=1), res("applied", version=3, seq=2)],
                )
            ],
            expect={"records": [want(D, R1, 3, {"title": "two"})], "last_seq": {DA: 2}},
        ),
        case(
            "seq/rejected-counts-as-answered",
            "A rejected mutation uses up its seq; resending it returns the same rejection.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"mood": "x"}), mut(2, D, R1, {"title": "ok"})],
                    [res("rejected", "unknown_field"), res("applied", version=2)],
                ),
                batch(
                    DA,
                    [mut(1, D, R1, {"mood": "x"})],
                    [res("rejected", "unknown_field", same_as_stored=True)],
                ),
            ],
            expect={"records": [want(D, R1, 2, {"title": "ok"})], "last_seq": {DA: 2}},
        ),
        case(
            "seq/replay-whole-batch",
            "A batch whose answer was lost is resent: identical answers, nothing re-applied.",
            records=[_b_risk()],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"risk_level": "red"}), mut(2, D, R1, {"tags": ["x"]})],
                    [res("conflict", version=2, conflicts=1), res("merged", version=3)],
                ),
                batch(
                    DA,
                    [mut(1, D, R1, {"risk_level": "red"}), mut(2, D, R1, {"tags": ["x"]})],
                    [
                        res(
                            "conflict",
                            version=2,
                            same_as_stored=True,
                            conflict_ids=[cid(1, "risk_level")],
                        ),
                        res("merged", version=3, same_as_stored=True),
                    ],
                ),
            ],
            expect={
                "records": [want(D, R1, 3, {"tags": ["x"], "risk_level": "orange"})],
                "conflicts": [{"id": cid(1, "risk_level"), "status": "open"}],
            },
        ),
        case(
            "seq/expired-answer",
            "An answered seq whose answer the store dropped is not applied again.",
            records=[rec(D, R1, 1, dispute())],
            devices=[device(DA, 5), device(DB)],
            pushes=[
                batch(
                    DA,
                    [mut(3, D, R1, {"title": "late"})],
                    [res("rejected", "validation", details={"reason": "answer_expired"})],
                )
            ],
            expect={"records": [want(D, R1, 1, {"title": "Noise at night"})], "last_seq": {DA: 5}},
        ),
        case(
            "seq/devices-are-independent",
            "Each device counts its own seqs.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(DA, [mut(1, D, R1, {"title": "A"})], [res("applied", version=2)]),
                batch(
                    DB,
                    [mut(1, D, R1, {"address": "B"}, base=2, device=DB)],
                    [res("applied", version=3)],
                ),
            ],
            expect={
                "records": [want(D, R1, 3, {"title": "A", "address": "B"})],
                "last_seq": {DA: 1, DB: 1},
            },
        ),
    ]


def _b_risk() -> dict[str, Any]:
    v1 = dispute()
    return rec(
        D,
        R1,
        2,
        {**v1, "risk_level": "orange"},
        fv={"risk_level": 2},
        fc={"risk_level": hlc(-1000, 0, DB)},
        history={1: v1},
    )


def _deleted_by_b(version: int = 2) -> dict[str, Any]:
    v1 = dispute()
    return rec(
        D,
        R1,
        version,
        v1,
        deleted=True,
        fv={"_deleted": 2},
        fc={"_deleted": hlc(-1000, 0, DB)},
        history={1: v1},
    )


def delete_cases() -> list[Case]:
    edited = dispute(title="B title")
    return [
        case(
            "delete/tombstone",
            "A delete nobody raced: the record becomes a tombstone one version up.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[batch(DA, [mut(1, D, R1, op="delete")], [res("applied", version=2)])],
            expect={
                "records": [
                    want(
                        D,
                        R1,
                        2,
                        {"title": "Noise at night"},
                        deleted=True,
                        field_versions={"_deleted": 2},
                    )
                ]
            },
        ),
        case(
            "delete/delete-vs-edit",
            "B edited after A's base; A's delete opens a delete_vs_edit conflict instead.",
            records=[
                rec(
                    D,
                    R1,
                    2,
                    edited,
                    fv={"title": 2},
                    fc={"title": hlc(-1000, 0, DB)},
                    history={1: dispute()},
                )
            ],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, op="delete")],
                    [res("conflict", version=2, conflicts=1, conflict_ids=[cid(1, None)])],
                )
            ],
            expect={
                "records": [want(D, R1, 2, deleted=False)],
                "conflicts": [
                    {
                        "id": cid(1, None),
                        "field": None,
                        "kind": "delete_vs_edit",
                        "base": dispute(),
                        "theirs": edited,
                        "yours": None,
                        "theirs_by": UB,
                        "yours_by": UA,
                        "status": "open",
                    }
                ],
            },
        ),
        case(
            "delete/edit-vs-delete",
            "B deleted after A's base; A's edit opens an edit_vs_delete conflict holding it.",
            records=[_deleted_by_b()],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"title": "A title"})],
                    [res("conflict", version=2, conflicts=1)],
                )
            ],
            expect={
                "records": [want(D, R1, 2, {"title": "Noise at night"}, deleted=True)],
                "conflicts": [
                    {
                        "field": None,
                        "kind": "edit_vs_delete",
                        "base": dispute(),
                        "theirs": None,
                        "yours": {"title": "A title"},
                        "theirs_by": UB,
                        "yours_by": UA,
                    }
                ],
            },
        ),
        case(
            "delete/both-deleted",
            "B already deleted it: A's delete is a no-op, merged.",
            records=[_deleted_by_b()],
            pushes=[batch(DA, [mut(1, D, R1, op="delete")], [res("merged", version=2)])],
            expect={"records": [want(D, R1, 2, deleted=True)], "conflicts": []},
        ),
        case(
            "delete/delete-known-tombstone",
            "Deleting a tombstone the device already had: applied, nothing written.",
            records=[_deleted_by_b()],
            pushes=[batch(DA, [mut(1, D, R1, op="delete", base=2)], [res("applied", version=2)])],
            expect={"records": [want(D, R1, 2, deleted=True)]},
        ),
        case(
            "delete/edit-known-tombstone",
            "Editing a record the device knew was deleted: not_found.",
            records=[_deleted_by_b()],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"title": "x"}, base=2)],
                    [res("rejected", "not_found", details={"deleted": True})],
                )
            ],
            expect={"records": [want(D, R1, 2, deleted=True)], "conflicts": []},
        ),
        case(
            "delete/own-edit-then-delete",
            "A device's own queued edit does not make its delete a conflict.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"title": "x"}), mut(2, D, R1, op="delete")],
                    [res("applied", version=2), res("applied", version=3)],
                )
            ],
            expect={"records": [want(D, R1, 3, deleted=True)], "conflicts": []},
        ),
        case(
            "delete/create-then-delete-offline",
            "Created and deleted before the first sync: two versions.",
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R2, dispute(), base=0), mut(2, D, R2, op="delete", base=0)],
                    [res("applied", version=1), res("applied", version=2)],
                )
            ],
            expect={"records": [want(D, R2, 2, deleted=True)]},
        ),
    ]


CONFLICT_ID = u(50, 0xC)


def _conflict(
    kind: str = "field",
    field: str | None = "risk_level",
    *,
    status: str = "open",
    theirs: Any = "orange",
    yours: Any = "red",
    base: Any = "blue",
) -> dict[str, Any]:
    return rec(
        "conflicts",
        CONFLICT_ID,
        1 if status == "open" else 2,
        {
            "target_collection": D,
            "target_id": R1,
            "field": field,
            "kind": kind,
            "base": base,
            "theirs": theirs,
            "yours": yours,
            "theirs_by": UB,
            "yours_by": UA,
            "status": status,
            "resolution": None if status == "open" else yours,
            "resolved_by": None if status == "open" else UA,
        },
    )


def _resolve(value: Any, seq: int = 1, **over: Any) -> dict[str, Any]:
    fields = {"status": "resolved", "resolution": value}
    fields.update(over)
    return mut(seq, "conflicts", CONFLICT_ID, fields)


def conflict_cases() -> list[Case]:
    edited = dispute(title="B title")
    return [
        case(
            "conflicts/resolve-field",
            "Resolving writes the chosen value to the target as a new version.",
            records=[_b_risk(), _conflict()],
            pushes=[batch(DA, [_resolve("red")], [res("applied", version=2)])],
            expect={
                "records": [
                    want(D, R1, 3, {"risk_level": "red"}, field_versions={"risk_level": 3})
                ],
                "conflicts": [
                    {
                        "id": CONFLICT_ID,
                        "version": 2,
                        "status": "resolved",
                        "resolution": "red",
                        "resolved_by": UA,
                    }
                ],
            },
        ),
        case(
            "conflicts/resolve-keeps-current",
            "Choosing the server's value still writes it to the target as a new version.",
            records=[_b_risk(), _conflict()],
            pushes=[batch(DA, [_resolve("orange")], [res("applied", version=2)])],
            expect={
                "records": [
                    want(D, R1, 3, {"risk_level": "orange"}, field_versions={"risk_level": 3})
                ],
                "conflicts": [{"status": "resolved", "resolution": "orange"}],
            },
        ),
        case(
            "conflicts/resolve-twice",
            "A resolved conflict cannot be resolved again.",
            records=[_b_risk(), _conflict(status="resolved")],
            pushes=[batch(DA, [_resolve("blue")], [res("rejected", "invalid_transition")])],
            expect={
                "records": [want(D, R1, 2, {"risk_level": "orange"})],
                "conflicts": [{"status": "resolved", "resolution": "red"}],
            },
        ),
        case(
            "conflicts/resolution-validated-against-target",
            "The resolution must be a valid value of the target field.",
            records=[_b_risk(), _conflict()],
            pushes=[
                batch(
                    DA,
                    [_resolve("purple")],
                    [res("rejected", "validation", details={"field": "resolution"})],
                )
            ],
            expect={"conflicts": [{"status": "open"}]},
        ),
        case(
            "conflicts/resolution-needs-status",
            "A resolution without status resolved is incomplete.",
            records=[_b_risk(), _conflict()],
            pushes=[
                batch(
                    DA,
                    [mut(1, "conflicts", CONFLICT_ID, {"resolution": "red"})],
                    [res("rejected", "validation")],
                )
            ],
            expect={"conflicts": [{"status": "open"}]},
        ),
        case(
            "conflicts/other-fields-read-only",
            "Only status and resolution are written by people.",
            records=[_b_risk(), _conflict()],
            pushes=[
                batch(
                    DA,
                    [_resolve("red", theirs="blue")],
                    [res("rejected", "read_only_field", details={"field": "theirs"})],
                )
            ],
            expect={"conflicts": [{"status": "open", "theirs": "orange"}]},
        ),
        case(
            "conflicts/delete-conflict-not-deletable",
            "A conflict cannot be deleted, only resolved.",
            records=[_b_risk(), _conflict()],
            pushes=[
                batch(
                    DA,
                    [mut(1, "conflicts", CONFLICT_ID, op="delete")],
                    [res("rejected", "forbidden")],
                )
            ],
            expect={"conflicts": [{"status": "open"}]},
        ),
        case(
            "conflicts/resolve-delete-vs-edit-delete",
            "delete_vs_edit resolved true: the target is deleted.",
            records=[
                rec(D, R1, 2, edited, fv={"title": 2}, fc={"title": hlc(-1, 0, DB)}),
                _conflict("delete_vs_edit", None, theirs=edited, yours=None, base=dispute()),
            ],
            pushes=[batch(DA, [_resolve(True)], [res("applied", version=2)])],
            expect={
                "records": [want(D, R1, 3, deleted=True)],
                "conflicts": [{"status": "resolved", "resolution": True}],
            },
        ),
        case(
            "conflicts/resolve-delete-vs-edit-keep",
            "delete_vs_edit resolved false: the record is kept, written as a new version.",
            records=[
                rec(D, R1, 2, edited, fv={"title": 2}, fc={"title": hlc(-1, 0, DB)}),
                _conflict("delete_vs_edit", None, theirs=edited, yours=None, base=dispute()),
            ],
            pushes=[batch(DA, [_resolve(False)], [res("applied", version=2)])],
            expect={
                "records": [want(D, R1, 3, {"title": "B title"}, deleted=False)],
                "conflicts": [{"status": "resolved", "resolution": False}],
            },
        ),
        case(
            "conflicts/resolve-edit-vs-delete-undelete",
            "edit_vs_delete resolved false: undeleted, and the held edit applies.",
            records=[
                _deleted_by_b(),
                _conflict(
                    "edit_vs_delete", None, theirs=None, yours={"title": "A title"}, base=dispute()
                ),
            ],
            pushes=[batch(DA, [_resolve(False)], [res("applied", version=2)])],
            expect={
                "records": [want(D, R1, 3, {"title": "A title"}, deleted=False)],
                "conflicts": [{"status": "resolved", "resolution": False}],
            },
        ),
        case(
            "conflicts/delete-resolution-is-boolean",
            "A delete conflict's resolution is true or false.",
            records=[
                _deleted_by_b(),
                _conflict("edit_vs_delete", None, theirs=None, yours={"title": "A"}),
            ],
            pushes=[batch(DA, [_resolve("keep")], [res("rejected", "validation")])],
        ),
        case(
            "conflicts/gate-checks-target-field",
            "Whoever resolves must be allowed to write the target field.",
            records=[_b_risk(), _conflict()],
            gate={"deny": [{"collection": D, "field": "risk_level", "user_id": UA}]},
            pushes=[
                batch(
                    DA,
                    [_resolve("red")],
                    [res("rejected", "forbidden", details={"field": "risk_level"})],
                )
            ],
            expect={
                "records": [want(D, R1, 2, {"risk_level": "orange"})],
                "conflicts": [{"status": "open"}],
            },
        ),
        case(
            "conflicts/open-then-resolve",
            "B raises the risk, A's concurrent edit conflicts, A resolves its own conflict "
            "by its derived id.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DB,
                    [mut(1, D, R1, {"risk_level": "orange"}, device=DB)],
                    [res("applied", version=2)],
                ),
                batch(
                    DA,
                    [mut(1, D, R1, {"risk_level": "red"})],
                    [res("conflict", version=2, conflict_ids=[cid(1, "risk_level")])],
                ),
                batch(
                    DA,
                    [
                        mut(
                            2,
                            "conflicts",
                            cid(1, "risk_level"),
                            {"status": "resolved", "resolution": "red"},
                        )
                    ],
                    [res("applied", version=2)],
                ),
            ],
            expect={
                "records": [want(D, R1, 3, {"risk_level": "red"})],
                "conflicts": [
                    {
                        "id": cid(1, "risk_level"),
                        "kind": "field",
                        "base": "blue",
                        "theirs": "orange",
                        "yours": "red",
                        "theirs_by": UB,
                        "yours_by": UA,
                        "status": "resolved",
                        "resolution": "red",
                        "resolved_by": UA,
                    }
                ],
            },
        ),
    ]


OTHER_PSY = u(8, 0xA)
SLOT1, SLOT2, SLOT3, SLOT4, SLOT5 = (u(n, 0x5) for n in (1, 2, 3, 4, 5))


def _slots() -> list[dict[str, Any]]:
    def slot(sid: str, start: int, end: int, room: str, status: str = "open") -> dict[str, Any]:
        return rec(
            "psych_slots",
            sid,
            1,
            {
                "psychologist_id": PSY,
                "room_id": room,
                "starts_at": at(start * HOUR),
                "ends_at": at(end * HOUR),
                "status": status,
            },
        )

    return [
        slot(SLOT1, 24, 25, ROOM1),
        slot(SLOT2, 26, 27, ROOM1),
        slot(SLOT3, 28, 29, ROOM2, "blocked"),
        slot(SLOT4, -5, -4, ROOM1),
        slot(SLOT5, 30, 31, ROOM2),
    ]


def _booked(**over: Any) -> dict[str, Any]:
    return rec("psych_sessions", R1, 1, _session(**over))


def _sugg(sid: str, start: int, end: int, room: str) -> dict[str, Any]:
    return {
        "slot_id": sid,
        "starts_at": at(start * HOUR),
        "ends_at": at(end * HOUR),
        "room_id": room,
    }


def slot_cases() -> list[Case]:
    s = "psych_sessions"
    half = HOUR // 2
    clash = _session(
        room_id=ROOM2,
        starts_at=at(24 * HOUR + half),
        ends_at=at(25 * HOUR + half),
        status="requested",
    )
    return [
        case(
            "slots/psychologist-double-booked",
            "Same psychologist, overlapping times: slot_taken with open, free slots.",
            records=[_booked(), *_slots()],
            pushes=[
                batch(
                    DA,
                    [mut(1, s, R2, clash, base=0)],
                    [
                        res(
                            "rejected",
                            "slot_taken",
                            details={
                                "conflicting_session_id": R1,
                                "suggested_slots": [
                                    _sugg(SLOT2, 26, 27, ROOM1),
                                    _sugg(SLOT5, 30, 31, ROOM2),
                                ],
                            },
                        )
                    ],
                )
            ],
            expect={"missing": [{"collection": s, "id": R2}]},
        ),
        case(
            "slots/suggestions-skip-room-clash",
            "A slot whose room another psychologist booked is not suggested.",
            records=[
                _booked(),
                *_slots(),
                rec(
                    s,
                    R3,
                    1,
                    _session(
                        psychologist_id=OTHER_PSY,
                        room_id=ROOM2,
                        starts_at=at(30 * HOUR),
                        ends_at=at(31 * HOUR),
                    ),
                ),
            ],
            pushes=[
                batch(
                    DA,
                    [mut(1, s, R2, clash, base=0)],
                    [
                        res(
                            "rejected",
                            "slot_taken",
                            details={
                                "conflicting_session_id": R1,
                                "suggested_slots": [_sugg(SLOT2, 26, 27, ROOM1)],
                            },
                        )
                    ],
                )
            ],
        ),
        case(
            "slots/room-double-booked",
            "Another psychologist, same room, overlapping: slot_taken.",
            records=[_booked()],
            pushes=[
                batch(
                    DA,
                    [
                        mut(
                            1,
                            s,
                            R2,
                            _session(
                                psychologist_id=OTHER_PSY,
                                starts_at=at(24 * HOUR + half),
                                ends_at=at(26 * HOUR),
                            ),
                            base=0,
                        )
                    ],
                    [
                        res(
                            "rejected",
                            "slot_taken",
                            details={"conflicting_session_id": R1, "suggested_slots": []},
                        )
                    ],
                )
            ],
        ),
        case(
            "slots/touching-is-not-overlapping",
            "One session ends when the next starts: both stand.",
            records=[_booked()],
            pushes=[
                batch(
                    DA,
                    [
                        mut(
                            1,
                            s,
                            R2,
                            _session(starts_at=at(25 * HOUR), ends_at=at(26 * HOUR)),
                            base=0,
                        )
                    ],
                    [res("applied", version=1)],
                )
            ],
        ),
        case(
            "slots/cancelled-frees-the-slot",
            "A cancelled session does not hold its time.",
            records=[_booked(status="cancelled")],
            pushes=[batch(DA, [mut(1, s, R2, _session(), base=0)], [res("applied", version=1)])],
        ),
        case(
            "slots/reschedule-into-clash",
            "Moving a session onto another is rejected; the session keeps its time.",
            records=[
                _booked(),
                rec(s, R3, 1, _session(starts_at=at(40 * HOUR), ends_at=at(41 * HOUR))),
            ],
            pushes=[
                batch(
                    DA,
                    [mut(1, s, R3, {"starts_at": at(24 * HOUR), "ends_at": at(25 * HOUR)})],
                    [res("rejected", "slot_taken", details={"conflicting_session_id": R1})],
                )
            ],
            expect={"records": [want(s, R3, 1, {"starts_at": at(40 * HOUR)})]},
        ),
        case(
            "slots/notes-on-old-clash-allowed",
            "Editing notes of sessions that already overlap (legacy data) is not blocked.",
            records=[_booked(), rec(s, R3, 1, _session())],
            pushes=[
                batch(DA, [mut(1, s, R3, {"notes": "Went well"})], [res("applied", version=2)])
            ],
        ),
        case(
            "slots/ends-before-starts-after-merge",
            "A reschedule whose end falls before its start is a validation error.",
            records=[_booked()],
            pushes=[
                batch(
                    DA,
                    [mut(1, s, R1, {"starts_at": at(26 * HOUR)})],
                    [res("rejected", "validation", details={"field": "ends_at"})],
                )
            ],
        ),
        case(
            "slots/session-state-machine",
            "scheduled → requested is not a move the machine allows.",
            records=[_booked()],
            pushes=[
                batch(
                    DA,
                    [mut(1, s, R1, {"status": "requested"})],
                    [res("rejected", "invalid_transition")],
                )
            ],
        ),
        case(
            "slots/complete-session",
            "scheduled → completed is allowed and frees nothing else.",
            records=[_booked()],
            pushes=[
                batch(DA, [mut(1, s, R1, {"status": "completed"})], [res("applied", version=2)])
            ],
            expect={"records": [want(s, R1, 2, {"status": "completed"})]},
        ),
    ]


def gate_cases() -> list[Case]:
    return [
        case(
            "gate/deny-field",
            "The gate may forbid one field (e.g. notes for anyone but the psychologist).",
            records=[rec(D, R1, 1, dispute())],
            gate={"deny": [{"collection": D, "field": "risk_level"}]},
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"risk_level": "red", "title": "x"})],
                    [res("rejected", "forbidden", details={"field": "risk_level"})],
                )
            ],
            expect={"records": [want(D, R1, 1, {"risk_level": "blue"})]},
        ),
        case(
            "gate/deny-delete",
            "The gate may forbid deletes.",
            records=[rec(D, R1, 1, dispute())],
            gate={"deny": [{"collection": D, "op": "delete"}]},
            pushes=[batch(DA, [mut(1, D, R1, op="delete")], [res("rejected", "forbidden")])],
            expect={"records": [want(D, R1, 1, deleted=False)]},
        ),
        case(
            "gate/deny-create-for-one-user",
            "A rule for one user does not touch another.",
            gate={"deny": [{"collection": D, "user_id": UA}]},
            pushes=[
                batch(DA, [mut(1, D, R1, dispute(), base=0)], [res("rejected", "forbidden")]),
                batch(
                    DB, [mut(1, D, R2, dispute(), base=0, device=DB)], [res("applied", version=1)]
                ),
            ],
            expect={"missing": [{"collection": D, "id": R1}], "records": [want(D, R2, 1)]},
        ),
        case(
            "gate/evicted-record",
            "A record that left the user's scope: its queued edit is answered forbidden.",
            records=[rec(D, R1, 1, dispute())],
            gate={"deny": [{"record_id": R1}]},
            pushes=[batch(DA, [mut(1, D, R1, {"title": "x"})], [res("rejected", "forbidden")])],
        ),
    ]
