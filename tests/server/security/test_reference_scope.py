"""Scope on references (issue 9, item 8): a reference must point at something the writer may see
and that fits the record's scope.  Community B's staff cannot book community A's psychologist
into A's room, nor fill anyone's calendar with referrals; an order cannot cite another
community's dispute; `assignee_id` / `grid_id` cannot name other communities' people or grids;
and naming a photo's hash in one's own record does not make the photo readable.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from server.org.importer import unit_id
from tests.helpers import COMMUNITY_B, ROOM_A, STREET_ROOM, Session, new_dispute
from tests.server.replication.support import (
    as_user,
    assert_error,
    assert_ok,
    create_dispute,
    image,
    new_consultation,
    new_order,
    new_session,
    record_of,
)

pytestmark = pytest.mark.usefixtures("database")

GRID_A1 = unit_id("GM.GUANGMING.C01.G1")
GRID_A_OTHER_COMMUNITY = unit_id("GM.GUANGMING.C02.G1")  # same street, another community
GRID_B1 = unit_id("GM.GONGMING.C01.G1")
REFUSED = ("forbidden", "validation")


def assert_refused(result: dict[str, Any], codes: tuple[str, ...] = REFUSED) -> None:
    assert result["status"] == "rejected", result
    assert result["error"]["code"] in codes, result
    assert result["record_version"] is None


def without_status(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k != "status"}


# ---- psych bookings --------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["admin.b", "gw.b1"])
@pytest.mark.parametrize("status", ["scheduled", "requested"])
async def test_community_b_cannot_book_psy_a_into_room_a(
    client: Any, username: str, status: str
) -> None:
    """Community B's staff booking (or referring) psy.a into community A's room: `forbidden`,
    and psy.a's calendar stays free at that time."""
    psy = await as_user(client, "psy.a")
    outsider = await as_user(client, username)
    booking = new_session(psy.user_id, room=ROOM_A, status=status)
    result = await outsider.push_one("psych_sessions", None, booking)
    assert_refused(result, ("forbidden",))
    # the time is still free for psy.a
    assert_ok(await psy.push_one("psych_sessions", None, {**booking, "status": "scheduled"}))


@pytest.mark.parametrize(
    ("username", "psychologist", "room"),
    [
        ("gw.b1", "psy.a", None),  # another street's grid worker, no room named
        ("gw.b1", "psy.b", STREET_ROOM),  # another street's grid worker, street A's room
        ("admin.b", "psy.b", None),
        ("dept.housing", "psy.a", ROOM_A),  # a department officer is no referrer
    ],
    ids=["gw.b1 psy.a", "gw.b1 psy.b street room", "admin.b psy.b", "dept psy.a"],
)
async def test_a_referral_from_outside_the_psychologists_scope_is_forbidden(
    client: Any, username: str, psychologist: str, room: uuid.UUID | None
) -> None:
    """Requested sessions block slots, so a referral by someone outside the room's/psychologist's
    scope would let anyone fill any psychologist's calendar: `forbidden`."""
    psy = await as_user(client, psychologist)
    fields = without_status(new_session(psy.user_id, room=room or ROOM_A))
    if room is None:
        fields.pop("room_id")
    outsider = await as_user(client, username)
    assert_refused(await outsider.push_one("psych_sessions", None, fields), ("forbidden",))


async def test_a_referral_inside_the_scope_is_applied(client: Any) -> None:
    """The control: community A's grid worker refers to psy.a in A's room."""
    psy, gw = await as_user(client, "psy.a"), await as_user(client, "gw.a1")
    fields = new_session(psy.user_id, room=ROOM_A, status="requested")
    assert_ok(await gw.push_one("psych_sessions", None, fields))


async def test_a_session_cannot_cite_another_communitys_dispute(client: Any) -> None:
    psy = await as_user(client, "psy.a")
    foreign = await create_dispute(await as_user(client, "gw.b1"), community=COMMUNITY_B)
    fields = new_session(psy.user_id, dispute_id=foreign)
    assert_refused(await psy.push_one("psych_sessions", None, fields))


# ---- dispute references ----------------------------------------------------------------------


async def test_an_order_cannot_cite_another_communitys_dispute(client: Any) -> None:
    """admin.a issuing an order about community B's dispute: `forbidden` (or `validation`)."""
    foreign = await create_dispute(await as_user(client, "gw.b1"), community=COMMUNITY_B)
    admin = await as_user(client, "admin.a")
    order_id = str(uuid.uuid4())
    result = await admin.push_one(
        "dispatch_orders", order_id, {**new_order(), "dispute_id": foreign}
    )
    assert_refused(result)
    assert (
        await record_of(await as_user(client, "dept.housing"), "dispatch_orders", order_id) is None
    )


async def test_an_order_citing_its_own_communitys_dispute_is_applied(client: Any) -> None:
    own = await create_dispute(await as_user(client, "gw.a1"))
    admin = await as_user(client, "admin.a")
    assert_ok(await admin.push_one("dispatch_orders", None, {**new_order(), "dispute_id": own}))


async def test_an_order_cannot_cite_a_dispute_that_does_not_exist(client: Any) -> None:
    admin = await as_user(client, "admin.a")
    result = await admin.push_one(
        "dispatch_orders", None, {**new_order(), "dispute_id": str(uuid.uuid4())}
    )
    assert_refused(result, ("forbidden", "validation", "not_found"))


async def test_a_consultation_cannot_cite_another_communitys_dispute(client: Any) -> None:
    foreign = await create_dispute(await as_user(client, "gw.b1"), community=COMMUNITY_B)
    lawyer = await as_user(client, "lawyer.a")
    fields = {**new_consultation(), "dispute_id": foreign}
    assert_refused(await lawyer.push_one("consultations", None, fields))


async def test_a_visit_cannot_hang_on_another_communitys_dispute(client: Any) -> None:
    foreign = await create_dispute(await as_user(client, "gw.b1"), community=COMMUNITY_B)
    gw = await as_user(client, "gw.a1")
    assert_refused(
        await gw.push_one("visits", None, {"dispute_id": foreign, "kind": "visit"}), ("forbidden",)
    )


# ---- assignee and grid -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value_of"),
    [
        ("assignee_id", "gw.b1"),  # a user of another community
        ("assignee_id", "admin.b"),
        ("assignee_id", "unknown user"),
        ("grid_id", "grid of community B"),
        ("grid_id", "grid of another community in the street"),
        ("grid_id", "community A itself"),  # not a grid
        ("grid_id", "unknown unit"),
    ],
)
async def test_a_dispute_cannot_name_other_communities_people_or_grids(
    client: Any, field: str, value_of: str
) -> None:
    """On create and on edit, `assignee_id` / `grid_id` naming someone or some grid outside the
    dispute's community is rejected and nothing changes."""
    gw = await as_user(client, "gw.a1")
    values = {
        "grid of community B": str(GRID_B1),
        "grid of another community in the street": str(GRID_A_OTHER_COMMUNITY),
        "community A itself": str(unit_id("GM.GUANGMING.C01")),
        "unknown unit": str(uuid.uuid4()),
        "unknown user": str(uuid.uuid4()),
    }
    value = values.get(value_of) or (await as_user(client, value_of)).user_id
    assert_refused(await gw.push_one("disputes", None, {**new_dispute(), field: value}))
    record_id = await create_dispute(gw)
    assert_refused(await gw.push_one("disputes", record_id, {field: value}, base_version=1))
    record = await record_of(gw, "disputes", record_id)
    assert record is not None and record["version"] == 1


async def test_a_dispute_may_name_its_own_communitys_people_and_grids(client: Any) -> None:
    gw, colleague = await as_user(client, "gw.a1"), await as_user(client, "gw.a2")
    fields = new_dispute(assignee_id=colleague.user_id, grid_id=str(GRID_A1))
    assert_ok(await gw.push_one("disputes", None, fields))


# ---- attachments -----------------------------------------------------------------------------


async def _put(session: Session, sha: str, data: bytes) -> None:
    response = await session.client.put(
        f"/api/attachments/{sha}",
        content=data,
        headers={**session.headers, "Content-Type": "image/png"},
    )
    assert response.status_code in (200, 201), response.text


async def assert_unreadable(session: Session, sha: str) -> None:
    response = await session.get(f"/api/attachments/{sha}")
    assert response.status_code == 404, (
        f"{session.username} reads the photo: {response.status_code}"
    )
    assert_error(response, 404, "not_found")


async def test_naming_a_known_hash_in_ones_own_record_does_not_grant_the_photo(
    client: Any,
) -> None:
    """gw.b1 learns the hash of a photo of community A and names it in a dispute of community B:
    the photo stays 404 for gw.b1 and admin.b, while those who could see A's record still read
    it."""
    uploader = await as_user(client, "gw.a1")
    sha, data = image()
    await _put(uploader, sha, data)
    await create_dispute(uploader, photos=[sha])
    thief = await as_user(client, "gw.b1")
    await assert_unreadable(thief, sha)

    result = await thief.push_one(
        "disputes", None, new_dispute(community=COMMUNITY_B, photos=[sha])
    )
    assert result["status"] in ("applied", "rejected"), result
    for username in ("gw.b1", "admin.b"):
        await assert_unreadable(await as_user(client, username), sha)
    for username in ("gw.a1", "gw.a2", "admin.a"):
        response = await (await as_user(client, username)).get(f"/api/attachments/{sha}")
        assert response.status_code == 200, username
        assert response.content == data


async def test_naming_a_hash_in_a_visit_does_not_grant_the_photo(client: Any) -> None:
    """The same through a visit of one's own dispute."""
    uploader = await as_user(client, "gw.a1")
    sha, data = image()
    await _put(uploader, sha, data)
    await create_dispute(uploader, photos=[sha])
    thief = await as_user(client, "gw.b1")
    own = await create_dispute(thief, community=COMMUNITY_B)
    await thief.push_one("visits", None, {"dispute_id": own, "kind": "visit", "photos": [sha]})
    await assert_unreadable(thief, sha)


async def test_uploading_the_same_bytes_proves_possession(client: Any) -> None:
    """Photos are stored once per content hash.  A second person who uploads the very same
    picture (a forwarded photo, one icon used twice) holds its bytes: they may name it in their
    own record and read it back, though the first uploader is the one the store remembers.
    Without the upload the same record is refused (the test above)."""
    first = await as_user(client, "gw.a1")
    sha, data = image()
    await _put(first, sha, data)
    await create_dispute(first, photos=[sha])

    second = await as_user(client, "gw.b1")
    refused = await second.push_one(
        "disputes", None, new_dispute(community=COMMUNITY_B, photos=[sha])
    )
    assert_refused(refused)
    await _put(second, sha, data)
    result = await second.push_one(
        "disputes", None, new_dispute(community=COMMUNITY_B, photos=[sha])
    )
    assert result["status"] == "applied", result
    response = await second.get(f"/api/attachments/{sha}")
    assert response.status_code == 200 and response.content == data
    # and it grants nothing to a third person who neither holds the bytes nor sees either record
    await assert_unreadable(await as_user(client, "dept.housing"), sha)
