"""Pull cursors are signed (issue 9, item 6): a cursor the server did not issue to this caller —
malformed, edited, another user's, or forged with a wider role and org — is a 400 envelope
(`invalid_request`, or `invalid_cursor`), never a 500 and never an `evict` list from outside the
caller's scope.  Today's cursor is unsigned base64url JSON `[seq, epoch, role, org]`."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.helpers import DISTRICT, Session, login
from tests.server.replication.support import as_user, assert_error, caught_up, create_dispute

pytestmark = pytest.mark.usefixtures("database")

CURSOR_CODES = ("invalid_request", "invalid_cursor")


def b64(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64(text: str) -> Any:
    """Today's cursor payload, or None once the format is no longer plain base64 JSON."""
    try:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except ValueError:
        return None


async def pull_with(session: Session, cursor: str) -> Any:
    return await session.get("/api/sync/pull", params={"cursor": cursor, "limit": 50})


def assert_refused(response: Any) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:500])
    error = assert_error(response, 400)
    assert error["code"] in CURSOR_CODES, error


async def _cursor_of(session: Session) -> str:
    await caught_up(session)
    assert session.cursor is not None
    return session.cursor


async def test_the_servers_own_cursor_is_accepted(client: Any) -> None:
    """The control: a cursor the server issued to this device pulls normally."""
    gw = await login(client, "gw.a1")
    response = await pull_with(gw, await _cursor_of(gw))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "cursor",
    [
        b64([0, 1, "x", "zz"]),
        b64([0, 1, "grid_worker", "zz"]),
        b64([0, 1, "district_admin", None]),
        b64([10**30, 1, "grid_worker", None]),
        b64([-1, 0, "grid_worker", None]),
        b64(["1", "0", "x", "y"]),
        b64({"seq": 1}),
        b64([1, 2]),
        "!!!",
        "x" * 399,
        "eyJ",
    ],
    ids=[
        "probe x zz",
        "org not a uuid",
        "district without org",
        "huge seq",
        "negative seq",
        "strings",
        "object",
        "too short",
        "not base64",
        "long junk",
        "truncated",
    ],
)
async def test_a_cursor_the_server_never_issued_is_400(client: Any, cursor: str) -> None:
    gw = await as_user(client, "gw.b1")
    assert_refused(await pull_with(gw, cursor))


async def test_an_edited_cursor_is_400(client: Any) -> None:
    """A cursor whose payload was edited (an earlier seq, re-encoded) is refused: signed."""
    gw = await login(client, "gw.a1")
    await create_dispute(gw)
    cursor = await _cursor_of(gw)
    payload = unb64(cursor)
    if isinstance(payload, list) and payload and isinstance(payload[0], int):
        edited = b64([max(payload[0] - 1, 0), *payload[1:]])
    else:  # a signed format: change one character of it
        middle = len(cursor) // 2
        edited = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]
    assert edited != cursor
    assert_refused(await pull_with(gw, edited))


async def test_another_users_cursor_is_400(client: Any) -> None:
    """A cursor issued to gw.a2 does not work for gw.a1, though they share role and org."""
    mine, theirs = await login(client, "gw.a1"), await login(client, "gw.a2")
    assert_refused(await pull_with(mine, await _cursor_of(theirs)))


async def test_a_cursor_forged_with_the_district_role_is_refused(client: Any) -> None:
    """The probe's forgery: gw.b1 sends `[seq, epoch, "district_admin", <district>]`; the answer
    is a 400, never 200 with an `evict` list naming records outside gw.b1's scope."""
    # records of community A that gw.b1 may never see, before gw.b1's cursor
    author = await as_user(client, "gw.a1")
    outside = {await create_dispute(author) for _ in range(3)}
    gw = await login(client, "gw.b1")
    own = await _cursor_of(gw)
    payload = unb64(own)
    seq, epoch = (payload[0], payload[1]) if isinstance(payload, list) else (10**6, 0)
    forged = b64([seq, epoch, "district_admin", str(DISTRICT)])
    response = await pull_with(gw, forged)
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        evicted = {e["record_id"] for e in response.json()["evict"]}
        assert not evicted & outside, "an evict list from outside the caller's scope"
    assert_refused(response)


async def test_a_cursor_from_another_users_role_is_refused(client: Any) -> None:
    """A district admin's own, genuine cursor replayed by a grid worker of community B."""
    district, gw = await login(client, "district"), await login(client, "gw.b1")
    response = await pull_with(gw, await _cursor_of(district))
    assert response.status_code < 500, response.text
    assert_refused(response)
