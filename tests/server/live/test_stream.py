"""The command view's live stream in one process (embedded mode: the memory channels backend).

A warning committed through a push reaches the stream of every admin whose subtree holds it, and
nobody else's; the stream authenticates by bearer header or by a short-lived ticket; bad input
gets the error envelope; a client that hangs up is unsubscribed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest

from server.live import bus, stream
from server.live.events import change_event, decode
from server.live.tickets import AUDIENCE, _key
from tests.helpers import (
    COMMUNITY_A,
    COMMUNITY_B,
    DISTRICT,
    STREET_A,
    Session,
    login,
    new_dispute,
)
from tests.server.live.conftest import InProcessServer
from tests.server.live.sse import open_stream


def bearer(session: Session) -> dict[str, str]:
    return {"Authorization": f"Bearer {session.access_token}"}


async def raise_red(session: Session, community: uuid.UUID, phone: str = "13800138000") -> str:
    """A new dispute at red (a warning follows in the same push); returns the dispute's id."""
    dispute_id = str(uuid.uuid4())
    result = await session.push_one(
        "disputes",
        dispute_id,
        new_dispute(
            community,
            risk_level="red",
            title="楼上漏水纠纷 张三",
            parties=[{"name": "张三", "phone": phone, "role": "applicant"}],
        ),
    )
    assert result["status"] == "applied", result
    return dispute_id


async def warning_ids_of(dispute_id: str) -> set[str]:
    from server.warnings.tables import GradedWarning

    rows = await GradedWarning.select(GradedWarning.id).where(
        GradedWarning.subject_id == uuid.UUID(dispute_id)
    )
    return {str(r["id"]) for r in rows}


async def test_a_committed_warning_reaches_the_streams_of_its_subtree_only(
    live_app: InProcessServer, client: httpx.AsyncClient
) -> None:
    gw_a = await login(client, "gw.a1")
    gw_b = await login(client, "gw.b1")
    admin_a = await login(client, "admin.a")
    street = await login(client, "street.a")
    district = await login(client, "district")
    async with (
        open_stream(live_app.url, {"org_unit_id": str(COMMUNITY_A)}, bearer(admin_a)) as a,
        open_stream(live_app.url, {"org_unit_id": str(STREET_A)}, bearer(street)) as s,
        open_stream(live_app.url, {"org_unit_id": str(DISTRICT)}, bearer(district)) as d,
    ):
        outside = await raise_red(gw_b, COMMUNITY_B)  # community B: not in street A
        inside = await raise_red(gw_a, COMMUNITY_A)
        [warning] = await warning_ids_of(inside)
        [outside_warning] = await warning_ids_of(outside)
        for reader in (a, s, d):
            got = await reader.until(
                lambda m: m.json["collection"] == "warnings" and m.json["id"] == warning, 5
            )
            body = got.json
            assert body["op"] == "created" and body["level"] == "red"
            assert body["scope_org_id"] == str(COMMUNITY_A)
            assert body["community_id"] == str(COMMUNITY_A)
            assert got.id == f"warnings:{warning}:{body['version']}"
            # no personal data travels: not the title, not a party's name or phone
            assert got.data is not None
            assert "张三" not in got.data and "13800138000" not in got.data
            assert "title" not in body and "parties" not in body
        ids_a = {m.json["id"] for m in a.seen if m.data}
        ids_s = {m.json["id"] for m in s.seen if m.data}
        # B's events were published before A's: had they been delivered, they would be here
        assert outside not in ids_a | ids_s and outside_warning not in ids_a | ids_s
        # the dispute's own creation (a risk level) is on the stream too, before its warning
        assert inside in ids_a
        # the district sees community B's warning as well (it came first)
        assert outside_warning in {m.json["id"] for m in d.seen if m.data}


async def test_only_command_changes_are_streamed(
    live_app: InProcessServer, client: httpx.AsyncClient
) -> None:
    gw_a = await login(client, "gw.a1")
    admin_a = await login(client, "admin.a")
    dispute_id = str(uuid.uuid4())
    async with open_stream(live_app.url, {"org_unit_id": str(COMMUNITY_A)}, bearer(admin_a)) as a:
        created = await gw_a.push_one("disputes", dispute_id, new_dispute())
        # an edit of the description is not a command event; the status change after it is
        edited = await gw_a.push_one(
            "disputes",
            dispute_id,
            {"description": "补充说明"},
            base_version=created["record_version"],
        )
        await gw_a.push_one(
            "disputes",
            dispute_id,
            {"status": "mediating"},
            base_version=edited["record_version"],
        )
        got = await a.until(lambda m: m.json["id"] == dispute_id and m.json["op"] == "updated", 5)
        assert got.json["fields"] == ["status"] and got.json["status"] == "mediating"
        updates = [m for m in a.seen if m.data and m.json["id"] == dispute_id]
        assert [m.json["op"] for m in updates] == ["created", "updated"]


async def test_keep_alive_comments_and_a_clean_disconnect(
    live_app: InProcessServer, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "KEEPALIVE_SECONDS", 0.2)
    admin_b = await login(client, "admin.b")
    channel = bus.org_channel(COMMUNITY_B)
    before = bus.subscriber_count(channel)
    async with open_stream(live_app.url, {"org_unit_id": str(COMMUNITY_B)}, bearer(admin_b)) as b:
        assert bus.subscriber_count(channel) == before + 1
        message = await b.next(5)
        assert message.comments == ["keep-alive"] and message.data is None
    # the client hung up: its subscription goes (polled: the server learns of it by a read)
    for _ in range(100):
        if bus.subscriber_count(channel) == before:
            break
        await asyncio.sleep(0.05)
    assert bus.subscriber_count(channel) == before


async def test_the_stream_ends_when_the_device_is_signed_out(
    live_app: InProcessServer, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "KEEPALIVE_SECONDS", 0.1)
    monkeypatch.setattr(stream, "RECHECK_SECONDS", 0.1)
    admin_b = await login(client, "admin.b")
    async with open_stream(live_app.url, {"org_unit_id": str(COMMUNITY_B)}, bearer(admin_b)) as b:
        response = await client.post("/api/auth/logout", headers=bearer(admin_b))
        assert response.status_code in (200, 204), response.text
        ended = await b.until(lambda m: m.event == "end", 5)
        assert ended.json == {"reason": "forbidden"}
        with pytest.raises(EOFError):
            await b.next(5)


async def test_a_ticket_opens_the_stream_without_a_header(
    live_app: InProcessServer, client: httpx.AsyncClient
) -> None:
    gw_a = await login(client, "gw.a1")
    admin_a = await login(client, "admin.a")
    response = await client.post(
        "/api/command/events/ticket",
        params={"org_unit_id": str(COMMUNITY_A)},
        headers=bearer(admin_a),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expires_in"] == 60
    assert body["url"].startswith(f"/api/command/events?org_unit_id={COMMUNITY_A}&ticket=")
    async with open_stream(
        live_app.url, {"org_unit_id": str(COMMUNITY_A), "ticket": body["ticket"]}
    ) as a:
        dispute = await raise_red(gw_a, COMMUNITY_A)
        [warning] = await warning_ids_of(dispute)
        await a.until(lambda m: m.json["id"] == warning, 5)


async def status_of(url: str, params: dict[str, str], headers: dict[str, str] | None = None) -> Any:
    async with (
        httpx.AsyncClient(base_url=url, timeout=10) as c,
        c.stream("GET", "/api/command/events", params=params, headers=headers) as r,
    ):
        await r.aread()
        return r.status_code, r.json() if r.status_code != 200 else None


def forged_ticket(secret: str, user: Session, org: uuid.UUID, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": user.user_id,
        "dev": user.device_id,
        "org": str(org),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 60,
        **changes,
    }
    return jwt.encode(claims, _key(secret), algorithm="HS256")


async def test_bad_requests_are_refused_with_the_envelope(
    live_app: InProcessServer, client: httpx.AsyncClient
) -> None:
    url = live_app.url
    admin_a = await login(client, "admin.a")
    gw_a = await login(client, "gw.a1")
    street = await login(client, "street.a")
    a = {"org_unit_id": str(COMMUNITY_A)}
    secret = live_app.app.state["accounts"].secret_key
    # no token, a wrong one, an access token passed as a ticket, a ticket of another unit,
    # an expired or forged ticket: 401
    for params, headers in [
        (a, None),
        (a, {"Authorization": "Bearer nonsense"}),
        ({**a, "ticket": admin_a.access_token}, None),
        ({**a, "ticket": forged_ticket(secret, admin_a, COMMUNITY_B)}, None),
        (
            {**a, "ticket": forged_ticket(secret, admin_a, COMMUNITY_A, exp=int(time.time()) - 5)},
            None,
        ),
        ({**a, "ticket": forged_ticket("another-secret", admin_a, COMMUNITY_A)}, None),
        ({**a, "ticket": "x" * 40}, None),
    ]:
        status, body = await status_of(url, params, headers)
        assert status == 401, (params, body)
        assert body["error"]["code"] in {"unauthorized", "invalid_token", "token_expired"}
    # malformed or missing unit: 400
    for params in [{}, {"org_unit_id": "not-a-uuid"}, {"org_unit_id": "1" * 65}]:
        status, body = await status_of(url, params, bearer(admin_a))
        assert status == 400, (params, body)
    # unknown unit: 404; outside the caller's subtree or not an admin: 403
    status, body = await status_of(url, {"org_unit_id": str(uuid.uuid4())}, bearer(admin_a))
    assert status == 404, body
    for session, unit in [
        (admin_a, COMMUNITY_B),
        (street, COMMUNITY_B),
        (admin_a, STREET_A),
        (gw_a, COMMUNITY_A),
    ]:
        status, body = await status_of(url, {"org_unit_id": str(unit)}, bearer(session))
        assert status == 403, (session.username, unit, body)
        assert body["error"]["code"] == "forbidden"
    # the ticket endpoint asks the same questions
    for params, session, expected in [
        ({"org_unit_id": str(COMMUNITY_B)}, admin_a, 403),
        ({"org_unit_id": "bad"}, admin_a, 400),
        ({}, admin_a, 400),
        ({"org_unit_id": str(COMMUNITY_A)}, gw_a, 403),
    ]:
        response = await client.post(
            "/api/command/events/ticket", params=params, headers=bearer(session)
        )
        assert response.status_code == expected, (params, response.text)
    response = await client.post("/api/command/events/ticket", params=a)
    assert response.status_code == 401


async def test_events_are_published_only_after_commit(
    live_app: InProcessServer, client: httpx.AsyncClient
) -> None:
    """Whoever hears an event can already read what it announces: at the moment each event is
    delivered, a read on another connection finds the record at that version."""
    from server import specs

    plugin = bus.running_plugin()
    assert plugin is not None
    gw_a = await login(client, "gw.a1")
    seen: list[tuple[str, str, int, bool]] = []

    async def on_event(data: bytes) -> None:
        event = decode(data)
        table = specs.get(event.collection).table
        rows = await table.select(table._meta.get_column_by_name("version")).where(
            table._meta.primary_key == event.id
        )
        seen.append(
            (
                event.collection,
                event.id,
                event.version,
                bool(rows) and rows[0]["version"] >= event.version,
            )
        )

    channel = bus.org_channel(COMMUNITY_A)
    subscriber = await plugin.subscribe([channel])
    try:
        async with subscriber.run_in_background(on_event):
            push = asyncio.create_task(raise_red(gw_a, COMMUNITY_A))
            dispute = await push
            for _ in range(100):
                if {c for c, *_ in seen} >= {"disputes", "warnings"}:
                    break
                await asyncio.sleep(0.02)
    finally:
        await plugin.unsubscribe(subscriber, [channel])
    mine = [s for s in seen if s[1] == dispute or s[0] == "warnings"]
    assert {c for c, *_ in mine} >= {"disputes", "warnings"}, seen
    assert all(committed for *_, committed in mine), mine


def test_an_event_of_a_private_record_carries_no_state() -> None:
    from sync.model import Record

    record = Record(
        collection="psych_sessions",
        id=str(uuid.uuid4()),
        version=2,
        fields={"risk_level": "high", "status": "completed", "notes": "x"},
    )
    event = change_event(
        record,
        ["risk_level", "notes"],
        created=False,
        scope=str(COMMUNITY_A),
        owner=str(uuid.uuid4()),
        at="2026-12-03T00:00:00.000Z",
        private=frozenset({"notes"}),
    )
    assert event.level is None and event.status is None
    assert event.fields == ("notes", "risk_level") and event.op == "updated"
    public = change_event(
        Record(collection="disputes", id=record.id, version=1, fields={"risk_level": "red"}),
        ["risk_level"],
        created=True,
        scope=str(COMMUNITY_A),
        owner=None,
        at="2026-12-03T00:00:00.000Z",
    )
    assert public.level == "red" and public.op == "created"
    assert public.community_id == str(COMMUNITY_A)


async def test_order_status_changes_and_scheduled_jobs_reach_the_stream(
    live_app: InProcessServer, client: httpx.AsyncClient
) -> None:
    """An order's status change pushed by its department, and the deadline job's overdue mark
    and warning (written by the job runner, not a push), reach the community's stream."""
    from datetime import UTC, datetime, timedelta

    from server.dispatch.jobs import check_deadlines
    from tests.server.replication.support import new_order

    admin_a = await login(client, "admin.a")
    dept = await login(client, "dept.housing")
    order = str(uuid.uuid4())
    async with open_stream(live_app.url, {"org_unit_id": str(COMMUNITY_A)}, bearer(admin_a)) as a:
        await admin_a.push_one("dispatch_orders", order, new_order())
        await dept.push_one("dispatch_orders", order, {"status": "acknowledged"}, base_version=1)
        got = await a.until(lambda m: m.json["id"] == order and m.json["op"] == "updated", 5)
        assert got.json["fields"] == ["status"] and got.json["status"] == "acknowledged"

        await check_deadlines(datetime.now(UTC) + timedelta(hours=25))  # past arrive_by
        overdue = await a.until(
            lambda m: m.json["id"] == order and "overdue" in m.json["fields"], 5
        )
        assert overdue.json["op"] == "updated"
        warning = await a.until(
            lambda m: m.json["collection"] == "warnings" and m.json["op"] == "created", 5
        )
        assert warning.json["community_id"] == str(COMMUNITY_A)
