"""Helpers for the volunteer and incentive tests: a volunteer made through a real invite, a
report pushed from their device, answered by a grid worker, and a fund with room for N awards.

Tests share one database, so helpers make fresh volunteers and read a fund's figures before
they act (a budget is set relative to what is already awarded)."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

from tests.helpers import COMMUNITY_A, STREET_A, Session, login
from tests.server.replication.support import as_user, assert_ok, create_dispute, image

PASSWORD = "volunteer-pass-1"


async def invite(
    client: Any, admin: str = "admin.a", community: uuid.UUID | None = None
) -> dict[str, Any]:
    session = await as_user(client, admin)
    body = {"community_id": str(community)} if community else {}
    response = await session.post("/api/volunteers/invites", json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


async def join(
    client: Any, code: str, *, show_name: bool = False, name: str = ""
) -> dict[str, Any]:
    username = f"vol.{uuid.uuid4().hex[:10]}"
    response = await client.post(
        "/api/volunteers/join",
        json={
            "code": code,
            "username": username,
            "password": PASSWORD,
            "display_name": name or f"志愿者{username[-4:]}",
            "show_name": show_name,
        },
    )
    assert response.status_code == 201, response.text
    joined: dict[str, Any] = response.json()
    return joined


async def new_volunteer(
    client: Any, *, admin: str = "admin.a", show_name: bool = False, name: str = ""
) -> Session:
    made = await invite(client, admin)
    joined = await join(client, made["code"], show_name=show_name, name=name)
    return await login(client, joined["username"], PASSWORD)


async def upload_photo(session: Session) -> str:
    sha, data = image("jpeg")
    response = await session.client.put(
        f"/api/attachments/{sha}",
        content=data,
        headers={**session.headers, "Content-Type": "image/jpeg"},
    )
    assert response.status_code == 201, response.text
    return sha


def report_fields(community: uuid.UUID = COMMUNITY_A, **extra: Any) -> dict[str, Any]:
    return {
        "community_id": str(community),
        "kind": "hazard",
        "title": "楼道堆放杂物，存在消防隐患",
        "description": "3栋2单元楼道",
        "location": {"lat": 22.7612, "lng": 113.9351, "accuracy_m": 12},
        "address": "光明街道某小区3栋",
        **extra,
    }


async def submit_offline_report(volunteer: Session, **extra: Any) -> str:
    """A report made with no signal an hour ago (its photo uploaded and its mutation pushed
    when the phone came back online, as the PWA's outbox does)."""
    photo = await upload_photo(volunteer)
    record_id = str(uuid.uuid4())
    written_ms = int(time.time() * 1000) - 3600_000
    result = await volunteer.push_one(
        "reports", record_id, report_fields(photos=[photo], **extra), hlc_ms=written_ms
    )
    assert_ok(result)
    return record_id


async def accept(grid_worker: Session, report_id: str, version: int) -> str:
    """Turn a report into a dispute (linked): create the dispute, then answer the report."""
    dispute_id = await create_dispute(grid_worker, title="随手拍：楼道消防隐患", channel="app")
    result = await grid_worker.push_one(
        "reports",
        report_id,
        {"status": "accepted", "dispute_id": dispute_id, "outcome_reason": "已立案处理"},
        base_version=version,
    )
    assert_ok(result)
    return dispute_id


async def fund(
    session: Session, unit: uuid.UUID = COMMUNITY_A, year: int | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {"org_unit_id": str(unit)}
    if year is not None:
        params["year"] = year
    response = await session.get("/api/incentives/fund", params=params)
    assert response.status_code == 200, response.text
    figures: dict[str, Any] = response.json()
    return figures


async def room_for(client: Any, amount_fen: int, unit: uuid.UUID = COMMUNITY_A) -> dict[str, Any]:
    """Set the unit's budget for this year so that exactly `amount_fen` more can be awarded."""
    street = await as_user(client, "street.a")
    now = await fund(street, unit)
    response = await street.client.put(
        "/api/incentives/fund",
        headers=street.headers,
        json={
            "org_unit_id": str(unit),
            "year": now["year"],
            "budget_fen": now["awarded"] + amount_fen,
        },
    )
    assert response.status_code == 200, response.text
    figures: dict[str, Any] = response.json()
    return figures


def award_body(
    volunteer_id: str, source_id: str, amount_fen: int = 5000, **extra: Any
) -> dict[str, Any]:
    return {
        "volunteer_id": volunteer_id,
        "amount_fen": amount_fen,
        "reason": "随手拍发现消防隐患，已立案",
        "source_collection": "reports",
        "source_id": source_id,
        **extra,
    }


def key() -> str:
    return hashlib.sha256(uuid.uuid4().bytes).hexdigest()[:32]


__all__ = ["STREET_A"]
