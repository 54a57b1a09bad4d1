"""Who reads and writes what, for every demo user (DESIGN.md "Security model", SCHEMA.md).

Two tables drive this file:
- READS: one record of each kind, made by its natural author, and the users who may read it
  (online, `GET /api/records/...`); they pull it too, except that supervisors' devices hold
  only SUPERVISOR_HOLDS of it (COMMAND_API.md "Supervisors' devices hold less");
- WRITES: one write of each kind and the users allowed to make it; everyone else must get
  `forbidden`.
Each (record or write, user) pair is its own test, so a failure names both.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from server.org.importer import unit_id
from tests.helpers import (
    COMMUNITY_A,
    COMMUNITY_B,
    DEMO_USERS,
    ROOM_A,
    STREET_ROOM,
    new_dispute,
)
from tests.server.replication.support import (
    as_user,
    assert_rejected,
    create,
    create_dispute,
    new_consultation,
    new_order,
    new_session,
    new_warning,
    record_of,
    server_create,
)

pytestmark = pytest.mark.usefixtures("database")

ALL = frozenset(DEMO_USERS)
HRSS = unit_id("GM.DEPT.HRSS")
COMMUNITY_A_READERS = frozenset({"gw.a1", "gw.a2", "lawyer.a", "admin.a", "street.a", "district"})
A_ADMINS = frozenset({"admin.a", "street.a", "district"})

SUPERVISORS = frozenset({"street.a", "district"})

# ---- reads -----------------------------------------------------------------------------------

READS: dict[str, frozenset[str]] = {
    "dispute in A": COMMUNITY_A_READERS,
    "dispute in B": frozenset({"gw.b1", "admin.b", "district"}),
    "visit in A": COMMUNITY_A_READERS,
    "consultation in A": frozenset({"lawyer.a"}) | A_ADMINS,
    # availability holds no client data: everyone books referrals against it
    "psy.a's slot": ALL,
    "psy.a's session in room A": frozenset({"psy.a"}) | A_ADMINS,
    # a referral is seen by who made it, the psychologist and the admins of the room's subtree
    "gw.a1's referral to psy.b": frozenset({"gw.a1", "psy.b", "street.a", "district"}),
    "order A to housing": COMMUNITY_A_READERS | {"dept.housing"},
    "order A to labour": COMMUNITY_A_READERS,
    "warning in A": COMMUNITY_A_READERS,
    "warning in B": frozenset({"gw.b1", "admin.b", "district"}),
    "gw.a1's notification": frozenset({"gw.a1"}),
    "org unit": ALL,
    "user": ALL,
}
#: what supervisors' devices hold of what they may read (the dispute here is blue)
SUPERVISOR_HOLDS = frozenset(
    {"psy.a's slot", "order A to housing", "order A to labour", "warning in A", "warning in B"}
    | {"org unit", "user"}
)


async def _make_records(client: Any) -> dict[str, tuple[str, str]]:
    """One record of each kind in READS: name -> (collection, id)."""
    gw, gw_b = await as_user(client, "gw.a1"), await as_user(client, "gw.b1")
    psy_a, psy_b = await as_user(client, "psy.a"), await as_user(client, "psy.b")
    admin_a, admin_b = await as_user(client, "admin.a"), await as_user(client, "admin.b")
    dispute_a = await create_dispute(gw)
    slot = new_session(psy_a.user_id)
    records = {
        "dispute in A": ("disputes", dispute_a),
        "dispute in B": ("disputes", await create_dispute(gw_b, community=COMMUNITY_B)),
        "visit in A": (
            "visits",
            await create(await as_user(client, "gw.a2"), "visits", {"dispute_id": dispute_a}),
        ),
        "consultation in A": (
            "consultations",
            await create(await as_user(client, "lawyer.a"), "consultations", new_consultation()),
        ),
        "psy.a's slot": (
            "psych_slots",
            await create(
                psy_a,
                "psych_slots",
                {
                    "psychologist_id": psy_a.user_id,
                    "room_id": str(ROOM_A),
                    "starts_at": slot["starts_at"],
                    "ends_at": slot["ends_at"],
                    "status": "open",
                },
            ),
        ),
        "psy.a's session in room A": (
            "psych_sessions",
            await create(psy_a, "psych_sessions", new_session(psy_a.user_id, notes="保密记录")),
        ),
        "gw.a1's referral to psy.b": (
            "psych_sessions",
            await create(
                gw,
                "psych_sessions",
                new_session(psy_b.user_id, room=STREET_ROOM, status="requested"),
            ),
        ),
        "order A to housing": (
            "dispatch_orders",
            await create(admin_a, "dispatch_orders", new_order()),
        ),
        "order A to labour": (
            "dispatch_orders",
            await create(admin_a, "dispatch_orders", new_order(department=HRSS)),
        ),
        "warning in A": ("warnings", await create(admin_a, "warnings", new_warning())),
        "warning in B": ("warnings", await create(admin_b, "warnings", new_warning(COMMUNITY_B))),
        "gw.a1's notification": (
            "notifications",
            await server_create(
                "notifications",
                {
                    "user_id": gw.user_id,
                    "type": "test",
                    "title": "提醒",
                    "body": "有新的诉求",
                    "url": "/",
                    "read": False,
                },
            ),
        ),
        "org unit": ("org_units", str(COMMUNITY_A)),
        "user": ("users", gw.user_id),
    }
    return records


@pytest.fixture(scope="module")
async def records(client: Any) -> dict[str, tuple[str, str]]:
    return await _make_records(client)


@pytest.fixture(scope="module")
async def pulled(
    client: Any, records: dict[str, tuple[str, str]]
) -> dict[str, dict[str, dict[str, Any] | None]]:
    """username -> record name -> the record as that user pulled it (None: not sent).  One
    incremental pull per user, after every record exists."""
    out: dict[str, dict[str, dict[str, Any] | None]] = {}
    for username in DEMO_USERS:
        reader = await as_user(client, username)
        await record_of(reader, "disputes", "-")
        out[username] = {name: reader.seen.get(key) for name, key in records.items()}
    return out


@pytest.fixture(scope="module")
async def online(
    client: Any, records: dict[str, tuple[str, str]]
) -> dict[str, dict[str, dict[str, Any] | None]]:
    """username -> record name -> the record as that user reads it online (None: 403)."""
    out: dict[str, dict[str, dict[str, Any] | None]] = {}
    for username in DEMO_USERS:
        reader = await as_user(client, username)
        out[username] = {}
        for name, (collection, record_id) in records.items():
            response = await reader.get(f"/api/records/{collection}/{record_id}")
            assert response.status_code in (200, 403), response.text
            out[username][name] = response.json() if response.status_code == 200 else None
    return out


@pytest.mark.parametrize("username", DEMO_USERS)
@pytest.mark.parametrize("name", list(READS))
async def test_read(
    pulled: dict[str, dict[str, dict[str, Any] | None]],
    online: dict[str, dict[str, dict[str, Any] | None]],
    name: str,
    username: str,
) -> None:
    expected = username in READS[name]
    read = online[username][name] is not None
    assert read is expected, f"{username} {'should' if expected else 'must not'} read {name}"
    held = expected and (username not in SUPERVISORS or name in SUPERVISOR_HOLDS)
    seen = pulled[username][name] is not None
    assert seen is held, f"{username}'s device {'should' if held else 'must not'} hold {name}"


@pytest.mark.parametrize("username", sorted(READS["psy.a's session in room A"]))
async def test_session_notes_only_for_the_psychologist(
    online: dict[str, dict[str, dict[str, Any] | None]], username: str
) -> None:
    seen = online[username]["psy.a's session in room A"]
    assert seen is not None
    assert ("notes" in seen["fields"]) is (username == "psy.a")
    if username == "psy.a":
        assert seen["fields"]["notes"] == "保密记录"


# ---- writes ----------------------------------------------------------------------------------

Push = Callable[[Any, Any], Awaitable[dict[str, Any]]]
_prepared: dict[str, dict[str, str]] = {}


async def _target(client: Any, me: Any, author: str, collection: str, fields: Any) -> str:
    """A fresh record for `me` to write to, made by `author`.  The records of one kind for all
    demo users are created in one push the first time (one push per kind keeps this fast)."""
    key = f"{author}/{collection}/{fields.__name__}"
    if key not in _prepared:
        writer = await as_user(client, author)
        mutations = [writer.mutation(collection, None, fields()) for _ in DEMO_USERS]
        response = await writer.push(*mutations)
        assert response.status_code == 200, response.text
        assert all(r["status"] == "applied" for r in response.json()["results"]), response.text
        _prepared[key] = {u: m["record_id"] for u, m in zip(DEMO_USERS, mutations, strict=True)}
    return _prepared[key][me.username]


async def _create_dispute(client: Any, me: Any) -> dict[str, Any]:
    return await me.push_one("disputes", None, new_dispute())


async def _edit_dispute(client: Any, me: Any) -> dict[str, Any]:
    record_id = await _target(client, me, "gw.a1", "disputes", new_dispute)
    return await me.push_one("disputes", record_id, {"address": "改地址"}, base_version=1)


async def _delete_dispute(client: Any, me: Any) -> dict[str, Any]:
    record_id = await _target(client, me, "gw.a2", "disputes", new_dispute)
    return await me.push_one("disputes", record_id, op="delete", base_version=1)


async def _create_dispute_b(client: Any, me: Any) -> dict[str, Any]:
    return await me.push_one("disputes", None, new_dispute(community=COMMUNITY_B))


async def _create_visit(client: Any, me: Any) -> dict[str, Any]:
    dispute_id = await _target(client, me, "gw.a1", "disputes", new_dispute)
    return await me.push_one("visits", None, {"dispute_id": dispute_id, "kind": "visit"})


async def _create_consultation(client: Any, me: Any) -> dict[str, Any]:
    return await me.push_one("consultations", None, new_consultation())


async def _create_own_slot(client: Any, me: Any) -> dict[str, Any]:
    window = new_session(me.user_id)
    fields = {k: window[k] for k in ("psychologist_id", "starts_at", "ends_at")}
    return await me.push_one("psych_slots", None, {**fields, "status": "open"})


async def _create_slot_for_psy_a(client: Any, me: Any) -> dict[str, Any]:
    psy = await as_user(client, "psy.a")
    window = new_session(psy.user_id)
    fields = {k: window[k] for k in ("psychologist_id", "starts_at", "ends_at")}
    return await me.push_one("psych_slots", None, {**fields, "status": "open"})


async def _write_session_notes(client: Any, me: Any) -> dict[str, Any]:
    psy = await as_user(client, "psy.a")
    _sessions_psychologist[:] = [psy.user_id]
    record_id = await _target(client, me, "psy.a", "psych_sessions", _psy_a_session)
    return await me.push_one("psych_sessions", record_id, {"notes": "我的记录"}, base_version=1)


def _psy_a_session() -> dict[str, Any]:
    return new_session(_sessions_psychologist[0])


_sessions_psychologist: list[str] = []


def _order() -> dict[str, Any]:
    return new_order()


def _warning() -> dict[str, Any]:
    return new_warning()


async def _schedule_session_for_psy_a(client: Any, me: Any) -> dict[str, Any]:
    psy = await as_user(client, "psy.a")
    return await me.push_one("psych_sessions", None, new_session(psy.user_id))


async def _refer_to_psy_b(client: Any, me: Any) -> dict[str, Any]:
    psy = await as_user(client, "psy.b")
    fields = new_session(psy.user_id, room=STREET_ROOM, status="requested")
    return await me.push_one("psych_sessions", None, fields)


async def _create_order(client: Any, me: Any) -> dict[str, Any]:
    return await me.push_one("dispatch_orders", None, new_order())


async def _acknowledge_order(client: Any, me: Any) -> dict[str, Any]:
    order_id = await _target(client, me, "admin.a", "dispatch_orders", new_order)
    return await me.push_one(
        "dispatch_orders", order_id, {"status": "acknowledged"}, base_version=1
    )


async def _change_order_terms(client: Any, me: Any) -> dict[str, Any]:
    order_id = await _target(client, me, "admin.a", "dispatch_orders", _order)
    return await me.push_one("dispatch_orders", order_id, {"summary": "改要求"}, base_version=1)


async def _create_warning(client: Any, me: Any) -> dict[str, Any]:
    return await me.push_one("warnings", None, new_warning())


async def _acknowledge_warning(client: Any, me: Any) -> dict[str, Any]:
    warning_id = await _target(client, me, "admin.a", "warnings", new_warning)
    return await me.push_one(
        "warnings", warning_id, {"acknowledged_by": [me.user_id]}, base_version=1
    )


async def _acknowledge_for_someone_else(client: Any, me: Any) -> dict[str, Any]:
    warning_id = await _target(client, me, "admin.a", "warnings", _warning)
    other = str(uuid.uuid4())
    return await me.push_one(
        "warnings", warning_id, {"acknowledged_by": [me.user_id, other]}, base_version=1
    )


async def _read_notification(client: Any, me: Any) -> dict[str, Any]:
    owner = await as_user(client, "gw.a1")
    notification_id = await server_create(
        "notifications",
        {
            "user_id": owner.user_id,
            "type": "test",
            "title": "t",
            "body": "b",
            "url": "/",
            "read": False,
        },
    )
    return await me.push_one("notifications", notification_id, {"read": True}, base_version=1)


async def _edit_org_unit(client: Any, me: Any) -> dict[str, Any]:
    return await me.push_one("org_units", str(COMMUNITY_A), {"name": "改名"}, base_version=1)


async def _create_user(client: Any, me: Any) -> dict[str, Any]:
    return await me.push_one("users", None, {"username": "x", "role": "district_admin"})


DISPUTE_WRITERS = frozenset({"gw.a1", "gw.a2"}) | A_ADMINS
WRITES: list[tuple[str, Push, frozenset[str]]] = [
    ("create dispute in A", _create_dispute, DISPUTE_WRITERS),
    ("edit dispute in A", _edit_dispute, DISPUTE_WRITERS),
    ("delete gw.a2's dispute", _delete_dispute, A_ADMINS),  # grid workers withdraw
    ("create dispute in B", _create_dispute_b, frozenset({"gw.b1", "admin.b", "district"})),
    ("create visit in A", _create_visit, COMMUNITY_A_READERS),
    ("create consultation in A", _create_consultation, frozenset({"lawyer.a"})),
    ("create own slot", _create_own_slot, frozenset({"psy.a", "psy.b"})),
    ("create psy.a's slot", _create_slot_for_psy_a, frozenset({"psy.a"})),
    ("write psy.a's session notes", _write_session_notes, frozenset({"psy.a"})),
    ("schedule a session for psy.a", _schedule_session_for_psy_a, frozenset({"psy.a"})),
    # referrals come from community staff and admins, psychologists book their own
    (
        "refer to psy.b",
        _refer_to_psy_b,
        frozenset(
            {
                # not gw.b1 / admin.b: psy.b's street room serves street A (reference scope)
                "gw.a1",
                "gw.a2",
                "lawyer.a",
                "admin.a",
                "street.a",
                "district",
                "psy.b",
            }
        ),
    ),
    ("issue order A to housing", _create_order, A_ADMINS),
    ("acknowledge order to housing", _acknowledge_order, frozenset({"dept.housing"})),
    ("change an order's terms", _change_order_terms, A_ADMINS),
    ("raise a warning in A", _create_warning, A_ADMINS),
    ("acknowledge a warning in A", _acknowledge_warning, COMMUNITY_A_READERS),
    ("acknowledge for someone else", _acknowledge_for_someone_else, frozenset()),
    ("mark gw.a1's notification read", _read_notification, frozenset({"gw.a1"})),
    ("edit the directory", _edit_org_unit, frozenset()),
    ("create a directory user", _create_user, frozenset()),
]


@pytest.mark.parametrize("username", DEMO_USERS)
@pytest.mark.parametrize(("push", "allowed"), [w[1:] for w in WRITES], ids=[w[0] for w in WRITES])
async def test_write(client: Any, push: Push, allowed: frozenset[str], username: str) -> None:
    me = await as_user(client, username)
    result = await push(client, me)
    if username in allowed:
        assert result["status"] in ("applied", "merged"), result
    else:
        assert_rejected(result, "forbidden")
