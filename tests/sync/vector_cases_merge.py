"""Vector cases for the field policies: lww, manual, set, state, and clocks."""

from __future__ import annotations

from typing import Any

from sync.hlc import format_hlc
from tests.sync.vector_kit import (
    COMMUNITY,
    DA,
    DB,
    DC,
    DEPT,
    HOUR,
    NOW,
    R1,
    SHA_A,
    SHA_B,
    SHA_C,
    UA,
    UB,
    at,
    batch,
    case,
    cid,
    device,
    dispute,
    hlc,
    mut,
    rec,
    res,
    u,
    want,
)

Case = dict[str, Any]
D = "disputes"


def _b_wrote(
    name: str, value: Any, base: dict[str, Any] | None = None, clock: str | None = None
) -> dict[str, Any]:
    """Dispute R1 at version 2 where device B changed one field after version 1."""
    v1 = base or dispute()
    return rec(
        D,
        R1,
        2,
        {**v1, name: value},
        fv={name: 2},
        fc={name: clock or hlc(-1000, 0, DB)},
        history={1: v1},
    )


def lww_cases() -> list[Case]:
    return [
        case(
            "lww/not-concurrent-applies",
            "Nobody changed the record since the base: the value applies, status applied.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(DA, [mut(1, D, R1, {"title": "Dogs barking"})], [res("applied", version=2)])
            ],
            expect={
                "records": [
                    want(
                        D,
                        R1,
                        2,
                        {"title": "Dogs barking"},
                        field_versions={"title": 2},
                        field_clocks={"title": hlc(0, 1, DA)},
                    )
                ],
                "conflicts": [],
            },
        ),
        case(
            "lww/concurrent-higher-hlc-wins",
            "B changed the title after A's base; A's later HLC wins; status merged.",
            records=[_b_wrote("title", "B title")],
            pushes=[batch(DA, [mut(1, D, R1, {"title": "A title"})], [res("merged", version=3)])],
            expect={"records": [want(D, R1, 3, {"title": "A title"})], "conflicts": []},
        ),
        case(
            "lww/concurrent-lower-hlc-loses",
            "B's concurrent write has the higher HLC: the server keeps it, nothing is written.",
            records=[_b_wrote("title", "B title", clock=hlc(60_000, 0, DB))],
            pushes=[batch(DA, [mut(1, D, R1, {"title": "A title"})], [res("merged", version=2)])],
            expect={"records": [want(D, R1, 2, {"title": "B title"})]},
        ),
        case(
            "lww/tie-broken-by-device-id",
            "Same ms and counter: the HLC strings differ only by device id; the greater wins.",
            records=[_b_wrote("title", "B title", clock=hlc(0, 1, DB))],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"title": "A title"}, clock=hlc(0, 1, DA))],
                    [res("merged", version=2)],
                )
            ],
            expect={"records": [want(D, R1, 2, {"title": "B title"})]},
        ),
        case(
            "lww/concurrent-same-value-lower-hlc-is-noop",
            "Both devices wrote the same value and A's HLC is lower: nothing to write.",
            records=[_b_wrote("title", "Same", clock=hlc(60_000, 0, DB))],
            pushes=[batch(DA, [mut(1, D, R1, {"title": "Same"})], [res("merged", version=2)])],
            expect={
                "records": [
                    want(D, R1, 2, {"title": "Same"}, field_clocks={"title": hlc(60_000, 0, DB)})
                ]
            },
        ),
        case(
            "lww/concurrent-same-value-higher-hlc-moves-clock",
            "Same value, A's HLC higher: a new version that only moves the field's clock, so a "
            "third concurrent write with an HLC in between cannot beat A's.",
            records=[_b_wrote("title", "Same")],
            pushes=[
                batch(DA, [mut(1, D, R1, {"title": "Same"})], [res("merged", version=3)]),
                batch(
                    DC,
                    [mut(1, D, R1, {"title": "C title"}, device=DC, clock=hlc(-500, 0, DC))],
                    [res("merged", version=3)],
                ),
            ],
            expect={
                "records": [
                    want(D, R1, 3, {"title": "Same"}, field_clocks={"title": hlc(0, 1, DA)})
                ]
            },
        ),
        case(
            "lww/different-fields-merge",
            "B changed the address, A the description: both survive, no conflict.",
            records=[_b_wrote("address", "No. 5 Lane")],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"description": "Loud music"})],
                    [res("merged", version=3, conflicts=0)],
                )
            ],
            expect={
                "records": [want(D, R1, 3, {"address": "No. 5 Lane", "description": "Loud music"})],
                "conflicts": [],
            },
        ),
        case(
            "lww/null-clears-optional-field",
            "null clears an optional scalar field.",
            records=[rec(D, R1, 1, dispute(grid_id=u(7, 0)))],
            pushes=[batch(DA, [mut(1, D, R1, {"grid_id": None})], [res("applied", version=2)])],
            expect={"records": [want(D, R1, 2, {"grid_id": None})]},
        ),
        case(
            "lww/own-chain-not-concurrent",
            "Two queued edits of one record from the same base: the second is the device's own "
            "successor and applies even with a lower HLC (clock went back).",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [
                        mut(1, D, R1, {"title": "First"}),
                        mut(2, D, R1, {"title": "Second"}, clock=hlc(-5000, 0, DA)),
                    ],
                    [res("applied", version=2), res("applied", version=3)],
                )
            ],
            expect={"records": [want(D, R1, 3, {"title": "Second"})]},
        ),
        case(
            "lww/create-with-existing-id",
            "base_version 0 on an existing id is an edit from base 0: concurrent with every "
            "field, so lww fields go by HLC.",
            records=[rec(D, R1, 1, dispute(title="B title"))],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, dispute(title="A title"), base=0)],
                    [res("merged", version=2)],
                )
            ],
            expect={"records": [want(D, R1, 2, {"title": "A title"})]},
        ),
        case(
            "lww/object-field",
            "dispatch_orders.arrival is an object under lww.",
            records=[
                rec(
                    "dispatch_orders",
                    R1,
                    1,
                    {
                        "community_id": COMMUNITY,
                        "department_id": DEPT,
                        "arrive_by": at(HOUR),
                        "resolve_by": at(48 * HOUR),
                        "status": "acknowledged",
                    },
                )
            ],
            pushes=[
                batch(
                    DA,
                    [
                        mut(
                            1,
                            "dispatch_orders",
                            R1,
                            {
                                "arrival": {
                                    "at": at(),
                                    "leader_name": "Chen",
                                    "leader_level": "section",
                                    "location": {"lat": 22.7, "lng": 113.9},
                                }
                            },
                        )
                    ],
                    [res("applied", version=2)],
                )
            ],
            expect={
                "records": [
                    want(
                        "dispatch_orders",
                        R1,
                        2,
                        {
                            "arrival": {
                                "at": at(),
                                "leader_name": "Chen",
                                "leader_level": "section",
                                "location": {"lat": 22.7, "lng": 113.9},
                            }
                        },
                    )
                ]
            },
        ),
    ]


def manual_cases() -> list[Case]:
    return [
        case(
            "manual/not-concurrent-applies",
            "Raising the risk level with nobody else editing it applies.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"risk_level": "red"})],
                    [res("applied", version=2, conflicts=0)],
                )
            ],
            expect={"records": [want(D, R1, 2, {"risk_level": "red"})], "conflicts": []},
        ),
        case(
            "manual/concurrent-opens-conflict",
            "B set orange after A's base; A sets red: the server keeps orange and opens a "
            "field conflict for a person.",
            records=[_b_wrote("risk_level", "orange")],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"risk_level": "red"})],
                    [res("conflict", version=2, conflicts=1, conflict_ids=[cid(1, "risk_level")])],
                )
            ],
            expect={
                "records": [want(D, R1, 2, {"risk_level": "orange"})],
                "conflicts": [
                    {
                        "id": cid(1, "risk_level"),
                        "version": 1,
                        "target_collection": D,
                        "target_id": R1,
                        "field": "risk_level",
                        "kind": "field",
                        "base": "blue",
                        "theirs": "orange",
                        "yours": "red",
                        "theirs_by": UB,
                        "yours_by": UA,
                        "status": "open",
                        "resolution": None,
                        "resolved_by": None,
                    }
                ],
            },
        ),
        case(
            "manual/concurrent-same-value",
            "Both chose red: no conflict.",
            records=[_b_wrote("risk_level", "red")],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"risk_level": "red"})],
                    [res("merged", version=2, conflicts=0)],
                )
            ],
            expect={"records": [want(D, R1, 2, {"risk_level": "red"})], "conflicts": []},
        ),
        case(
            "manual/conflict-with-other-fields-applied",
            "The mutation's other fields apply; only the manual field waits for a person.",
            records=[_b_wrote("risk_level", "orange")],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"risk_level": "red", "title": "Fight"})],
                    [res("conflict", version=3, conflicts=1)],
                )
            ],
            expect={
                "records": [want(D, R1, 3, {"risk_level": "orange", "title": "Fight"})],
                "conflicts": [
                    {"field": "risk_level", "kind": "field", "theirs": "orange", "yours": "red"}
                ],
            },
        ),
        case(
            "manual/unrelated-concurrent-change",
            "B changed the title, not the risk level: the risk level is not concurrent.",
            records=[_b_wrote("title", "B title")],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"risk_level": "red"})],
                    [res("merged", version=3, conflicts=0)],
                )
            ],
            expect={
                "records": [want(D, R1, 3, {"risk_level": "red", "title": "B title"})],
                "conflicts": [],
            },
        ),
        case(
            "manual/own-chain-no-conflict",
            "A device does not conflict with its own earlier edit of a manual field.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"risk_level": "yellow"}), mut(2, D, R1, {"risk_level": "red"})],
                    [res("applied", version=2), res("applied", version=3)],
                )
            ],
            expect={"records": [want(D, R1, 3, {"risk_level": "red"})], "conflicts": []},
        ),
        case(
            "manual/consultation-advice",
            "A lawyer's advice is manual too; base is the value at the base version.",
            records=[
                rec(
                    "consultations",
                    R1,
                    2,
                    {"community_id": COMMUNITY, "advice": "Sue"},
                    fv={"advice": 2},
                    fc={"advice": hlc(-1000, 0, DB)},
                    history={1: {"community_id": COMMUNITY, "advice": "Wait"}},
                )
            ],
            pushes=[
                batch(
                    DA,
                    [mut(1, "consultations", R1, {"advice": "Mediate"})],
                    [res("conflict", version=2, conflicts=1)],
                )
            ],
            expect={
                "conflicts": [
                    {
                        "target_collection": "consultations",
                        "field": "advice",
                        "base": "Wait",
                        "theirs": "Sue",
                        "yours": "Mediate",
                    }
                ]
            },
        ),
    ]


def set_cases() -> list[Case]:
    party_li = {"name": "Li", "phone": "138", "role": "tenant"}
    party_wang = {"name": "Wang", "phone": "139", "role": "landlord"}
    party_zhao = {"name": "Zhao", "phone": "", "role": "witness"}
    return [
        case(
            "set/concurrent-adds-union",
            "Both added a tag: the union, theirs first.",
            records=[_b_wrote("tags", ["wages"])],
            pushes=[batch(DA, [mut(1, D, R1, {"tags": ["noise"]})], [res("merged", version=3)])],
            expect={"records": [want(D, R1, 3, {"tags": ["wages", "noise"]})]},
        ),
        case(
            "set/remove-and-concurrent-add",
            "A removed 'a', B added 'c': (theirs ∪ (yours − base)) − (base − yours).",
            records=[_b_wrote("tags", ["a", "b", "c"], base=dispute(tags=["a", "b"]))],
            pushes=[batch(DA, [mut(1, D, R1, {"tags": ["b"]})], [res("merged", version=3)])],
            expect={"records": [want(D, R1, 3, {"tags": ["b", "c"]})]},
        ),
        case(
            "set/both-removed-same",
            "Both removed 'a': merged result equals the server's, nothing written.",
            records=[_b_wrote("tags", ["b"], base=dispute(tags=["a", "b"]))],
            pushes=[batch(DA, [mut(1, D, R1, {"tags": ["b"]})], [res("merged", version=2)])],
            expect={"records": [want(D, R1, 2, {"tags": ["b"]})]},
        ),
        case(
            "set/photos-attachments",
            "Attachment hashes merge like any set.",
            records=[_b_wrote("photos", [SHA_A, SHA_B], base=dispute(photos=[SHA_A]))],
            pushes=[batch(DA, [mut(1, D, R1, {"photos": [SHA_C]})], [res("merged", version=3)])],
            expect={"records": [want(D, R1, 3, {"photos": [SHA_B, SHA_C]})]},
        ),
        case(
            "set/parties-compared-by-canonical-json",
            "Party objects are equal whatever their key order.",
            records=[_b_wrote("parties", [party_li, party_wang], base=dispute(parties=[party_li]))],
            pushes=[
                batch(
                    DA,
                    [
                        mut(
                            1,
                            D,
                            R1,
                            {
                                "parties": [
                                    {"role": "tenant", "phone": "138", "name": "Li"},
                                    party_zhao,
                                ]
                            },
                        )
                    ],
                    [res("merged", version=3)],
                )
            ],
            expect={"records": [want(D, R1, 3, {"parties": [party_li, party_wang, party_zhao]})]},
        ),
        case(
            "set/missing-base-snapshot-adds-only",
            "Without the base snapshot the base counts as []: additions merge, nothing is removed.",
            records=[
                rec(
                    D,
                    R1,
                    3,
                    dispute(tags=["x", "y"]),
                    fv={"tags": 3},
                    fc={"tags": hlc(-1000, 0, DB)},
                )
            ],
            pushes=[batch(DA, [mut(1, D, R1, {"tags": ["z"]})], [res("merged", version=4)])],
            expect={"records": [want(D, R1, 4, {"tags": ["x", "y", "z"]})]},
        ),
        case(
            "set/own-chain-removal",
            "A adds 'x' then removes it again from the same base while B added 'w': the second "
            "mutation's base is A's own local view, so the removal holds and 'w' stays. The "
            "second answer is applied: the stored metadata shows only A's own write since the "
            "base.",
            records=[_b_wrote("tags", ["w"])],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"tags": ["x"]}), mut(2, D, R1, {"tags": []})],
                    [res("merged", version=3), res("applied", version=4)],
                )
            ],
            expect={"records": [want(D, R1, 4, {"tags": ["w"]})]},
        ),
        case(
            "set/own-chain-from-stored-delta",
            "The store remembers what a device's earlier mutation did (`set_deltas`): its later "
            "edit from the old base removes its own item but not B's.",
            records=[
                rec(
                    D,
                    R1,
                    3,
                    dispute(tags=["w", "x"]),
                    fv={"tags": 3},
                    fc={"tags": hlc(-500, 0, DA)},
                    history={1: dispute(), 2: dispute(tags=["w"])},
                    set_deltas={DA: [[3, "tags", ["x"], []]]},
                )
            ],
            pushes=[batch(DA, [mut(1, D, R1, {"tags": ["y"]})], [res("applied", version=4)])],
            devices=[device(DA), device(DB)],
            expect={"records": [want(D, R1, 4, {"tags": ["w", "y"]})]},
        ),
        case(
            "set/warning-acknowledged-by",
            "Two users acknowledge a warning at the same time: both ids are kept.",
            records=[
                rec(
                    "warnings",
                    R1,
                    2,
                    {"level": "red", "org_unit_id": COMMUNITY, "acknowledged_by": [UB]},
                    fv={"acknowledged_by": 2},
                    fc={"acknowledged_by": hlc(-10, 0, DB)},
                    history={1: {"level": "red", "org_unit_id": COMMUNITY, "acknowledged_by": []}},
                )
            ],
            pushes=[
                batch(
                    DA,
                    [mut(1, "warnings", R1, {"acknowledged_by": [UA]})],
                    [res("merged", version=3)],
                )
            ],
            expect={"records": [want("warnings", R1, 3, {"acknowledged_by": [UB, UA]})]},
        ),
    ]


def state_cases() -> list[Case]:
    return [
        case(
            "state/allowed-transition",
            "registered → mediating is allowed.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(DA, [mut(1, D, R1, {"status": "mediating"})], [res("applied", version=2)])
            ],
            expect={"records": [want(D, R1, 2, {"status": "mediating"})]},
        ),
        case(
            "state/disallowed-not-concurrent-rejects",
            "registered → closed is not allowed: the whole mutation is rejected.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"status": "closed", "title": "X"})],
                    [
                        res(
                            "rejected",
                            "invalid_transition",
                            details={"field": "status", "from": "registered", "to": "closed"},
                        )
                    ],
                )
            ],
            expect={
                "records": [want(D, R1, 1, {"status": "registered", "title": "Noise at night"})]
            },
        ),
        case(
            "state/concurrent-allowed-applies",
            "B moved to mediating; A (from registered) asks for escalated: mediating → "
            "escalated is allowed, so it applies.",
            records=[_b_wrote("status", "mediating")],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"status": "escalated"})],
                    [res("merged", version=3, conflicts=0)],
                )
            ],
            expect={"records": [want(D, R1, 3, {"status": "escalated"})], "conflicts": []},
        ),
        case(
            "state/concurrent-disallowed-conflict",
            "B withdrew the dispute; A (from registered) asks for mediating: withdrawn → "
            "mediating is not allowed, so a state conflict opens.",
            records=[_b_wrote("status", "withdrawn")],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"status": "mediating"})],
                    [res("conflict", version=2, conflicts=1)],
                )
            ],
            expect={
                "records": [want(D, R1, 2, {"status": "withdrawn"})],
                "conflicts": [
                    {
                        "field": "status",
                        "kind": "state",
                        "base": "registered",
                        "theirs": "withdrawn",
                        "yours": "mediating",
                        "theirs_by": UB,
                        "yours_by": UA,
                        "status": "open",
                    }
                ],
            },
        ),
        case(
            "state/concurrent-same-state",
            "Both moved to mediating: no-op.",
            records=[_b_wrote("status", "mediating")],
            pushes=[
                batch(DA, [mut(1, D, R1, {"status": "mediating"})], [res("merged", version=2)])
            ],
            expect={"records": [want(D, R1, 2, {"status": "mediating"})]},
        ),
        case(
            "state/own-chain-order-lifecycle",
            "An officer acknowledges then checks in offline: issued → acknowledged → arrived.",
            records=[
                rec(
                    "dispatch_orders",
                    R1,
                    1,
                    {
                        "community_id": COMMUNITY,
                        "department_id": DEPT,
                        "arrive_by": at(HOUR),
                        "resolve_by": at(48 * HOUR),
                        "status": "issued",
                    },
                )
            ],
            pushes=[
                batch(
                    DA,
                    [
                        mut(1, "dispatch_orders", R1, {"status": "acknowledged"}),
                        mut(2, "dispatch_orders", R1, {"status": "arrived"}),
                    ],
                    [res("applied", version=2), res("applied", version=3)],
                )
            ],
            expect={"records": [want("dispatch_orders", R1, 3, {"status": "arrived"})]},
        ),
        case(
            "state/skip-a-step-rejected",
            "issued → arrived skips acknowledged.",
            records=[
                rec(
                    "dispatch_orders",
                    R1,
                    1,
                    {
                        "community_id": COMMUNITY,
                        "department_id": DEPT,
                        "arrive_by": at(HOUR),
                        "resolve_by": at(48 * HOUR),
                        "status": "issued",
                    },
                )
            ],
            pushes=[
                batch(
                    DA,
                    [mut(1, "dispatch_orders", R1, {"status": "arrived"})],
                    [res("rejected", "invalid_transition")],
                )
            ],
            expect={"records": [want("dispatch_orders", R1, 1, {"status": "issued"})]},
        ),
    ]


def clock_cases() -> list[Case]:
    return [
        case(
            "hlc/far-ahead-is-reclocked",
            "10 minutes ahead of the server: applied with the server's receive time as its "
            "HLC (keeping the device id) and clock_adjusted.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"title": "X"}, clock=hlc(600_000, 0, DA))],
                    [res("applied", version=2, clock_adjusted=True)],
                )
            ],
            expect={
                "records": [
                    want(D, R1, 2, {"title": "X"}, field_clocks={"title": format_hlc(NOW, 0, DA)})
                ]
            },
        ),
        case(
            "hlc/exactly-five-minutes-is-kept",
            "At most 300 000 ms ahead is accepted as it is.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"title": "X"}, clock=hlc(300_000, 0, DA))],
                    [res("applied", version=2, clock_adjusted=False)],
                )
            ],
            expect={
                "records": [
                    want(D, R1, 2, {"title": "X"}, field_clocks={"title": hlc(300_000, 0, DA)})
                ]
            },
        ),
        case(
            "hlc/reclock-continues-server-counter",
            "The server clock already issued a later HLC in this ms: the counter goes on.",
            server_clock=format_hlc(NOW, 5, "server"),
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"title": "X"}, clock=hlc(HOUR, 0, DA))],
                    [res("applied", version=2, clock_adjusted=True)],
                )
            ],
            expect={
                "records": [
                    want(D, R1, 2, {"title": "X"}, field_clocks={"title": format_hlc(NOW, 6, DA)})
                ]
            },
        ),
        case(
            "hlc/reclocked-write-loses-to-later-write",
            "A's far-future clock does not let it win: re-clocked to now, it loses to B's "
            "write two minutes ahead.",
            records=[_b_wrote("title", "B title", clock=hlc(120_000, 0, DB))],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"title": "A title"}, clock=hlc(HOUR, 0, DA))],
                    [res("merged", version=2, clock_adjusted=True)],
                )
            ],
            expect={"records": [want(D, R1, 2, {"title": "B title"})]},
        ),
        case(
            "hlc/invalid-rejected",
            "An HLC that does not parse is a validation error.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"title": "X"}, clock="yesterday")],
                    [res("rejected", "validation", details={"field": "hlc"})],
                )
            ],
            expect={"records": [want(D, R1, 1, {"title": "Noise at night"})]},
        ),
        case(
            "hlc/uppercase-hex-rejected",
            "The counter is lowercase hex (it must sort as a string).",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"title": "X"}, clock=f"{NOW}-00AB-{DA}")],
                    [res("rejected", "validation", details={"field": "hlc"})],
                )
            ],
        ),
        case(
            "hlc/other-device-suffix-rejected",
            "The HLC must end with the pushing device's id.",
            records=[rec(D, R1, 1, dispute())],
            pushes=[
                batch(
                    DA,
                    [mut(1, D, R1, {"title": "X"}, clock=hlc(0, 0, DB))],
                    [res("rejected", "validation", details={"field": "hlc"})],
                )
            ],
        ),
    ]
