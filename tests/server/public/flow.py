"""Steps the residents' door tests share: submit, accept, move a dispute like the hall does."""

from __future__ import annotations

from typing import Any

from server.org.importer import unit_id
from tests.helpers import Session, login
from tests.server.public.conftest import appeal

GRID_A = unit_id("GM.GUANGMING.C01.G1")


async def submit(client: Any, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/public/appeals", json=appeal(**fields))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def pending_item(admin: Session, title: str) -> dict[str, Any]:
    listed = (await admin.get("/api/triage/appeals", params={"triage": "pending"})).json()
    item: dict[str, Any] = next(i for i in listed if i["title"] == title)
    return item


async def accepted(client: Any, title: str) -> tuple[Session, dict[str, Any], dict[str, Any]]:
    """A submitted and accepted appeal: (admin.a's session, the submit answer, triage item)."""
    body = await submit(client, title=title, contact_phone="13800138000")
    admin = await login(client, "admin.a")
    item = await pending_item(admin, title)
    response = await admin.post(
        f"/api/triage/appeals/{item['appeal_id']}/accept",
        json={"grid_id": str(GRID_A), "service_type": "dispute"},
    )
    assert response.status_code == 200, response.text
    return admin, body, item


async def move(admin: Session, dispute_id: str, **fields: Any) -> None:
    """The hall edits the dispute on its phone (a synced change)."""
    await admin.pull_all()
    current = admin.seen[("disputes", dispute_id)]
    result = await admin.push_one("disputes", dispute_id, fields, base_version=current["version"])
    assert result["status"] in ("applied", "merged"), result
