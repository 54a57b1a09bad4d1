"""Factories shared by the server tests: demo logins, org ids, records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from server.org.importer import unit_id

DEMO_PASSWORD = "doorstep-demo"
DEMO_USERS = [
    "gw.a1",
    "gw.a2",
    "gw.b1",
    "lawyer.a",
    "psy.a",
    "psy.b",
    "admin.a",
    "admin.b",
    "dept.housing",
    "street.a",
    "district",
]
COMMUNITY_A = unit_id("GM.GUANGMING.C01")
COMMUNITY_B = unit_id("GM.GONGMING.C01")
STREET_A = unit_id("GM.GUANGMING")
DISTRICT = unit_id("GM")
HOUSING = unit_id("GM.DEPT.HOUSING")
ROOM_A = unit_id("GM.GUANGMING.C01.ROOM")
STREET_ROOM = unit_id("GM.GUANGMING.ROOM")


@dataclass
class Session:
    """A logged-in device: its tokens, ids and the next mutation seq."""

    client: Any
    username: str
    access_token: str
    refresh_token: str
    device_id: str
    user: dict[str, Any]
    next_seq: int = 1
    cursor: str | None = None
    seen: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def user_id(self) -> str:
        return str(self.user["id"])

    async def get(self, url: str, **kw: Any) -> Any:
        return await self.client.get(url, headers=self.headers, **kw)

    async def post(self, url: str, **kw: Any) -> Any:
        return await self.client.post(url, headers=self.headers, **kw)

    def mutation(
        self,
        collection: str,
        record_id: str | None = None,
        fields: dict[str, Any] | None = None,
        *,
        base_version: int = 0,
        op: str = "upsert",
        hlc_ms: int | None = None,
    ) -> dict[str, Any]:
        """The next mutation of this device (takes a seq)."""
        import time

        seq = self.next_seq
        self.next_seq += 1
        ms = hlc_ms if hlc_ms is not None else int(time.time() * 1000)
        return {
            "id": str(uuid.uuid4()),
            "seq": seq,
            "collection": collection,
            "record_id": record_id or str(uuid.uuid4()),
            "op": op,
            "base_version": base_version,
            "hlc": f"{ms:013d}-{seq % 0xFFFF:04x}-{self.device_id}",
            "fields": fields or {},
        }

    async def push(self, *mutations: dict[str, Any]) -> Any:
        return await self.post(
            "/api/sync/push", json={"schema_version": 1, "mutations": list(mutations)}
        )

    async def push_one(self, *args: Any, **kw: Any) -> dict[str, Any]:
        response = await self.push(self.mutation(*args, **kw))
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()["results"][0]
        return result

    async def pull_all(self, limit: int = 500) -> list[dict[str, Any]]:
        """Pull until has_more is false; returns the changes and keeps `seen` current."""
        changes: list[dict[str, Any]] = []
        while True:
            params: dict[str, Any] = {"limit": limit}
            if self.cursor:
                params["cursor"] = self.cursor
            response = await self.get("/api/sync/pull", params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            if body["reset"]:
                self.seen.clear()
            for change in body["changes"]:
                self.seen[(change["collection"], change["record_id"])] = change
            for gone in body["evict"]:
                self.seen.pop((gone["collection"], gone["record_id"]), None)
            changes.extend(body["changes"])
            self.cursor = body["cursor"]
            if not body["has_more"]:
                return changes


async def login(client: Any, username: str, password: str = DEMO_PASSWORD) -> Session:
    response = await client.post(
        "/api/auth/login",
        json={"username": username, "password": password, "device_name": f"test {username}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Session(
        client=client,
        username=username,
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        device_id=body["device_id"],
        user=body["user"],
    )


def new_dispute(community: uuid.UUID = COMMUNITY_A, **fields: Any) -> dict[str, Any]:
    return {
        "community_id": str(community),
        "title": "邻里噪音纠纷",
        "risk_level": "blue",
        "channel": "door_to_door",
        "status": "registered",
        **fields,
    }
