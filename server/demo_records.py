"""A few demo records, so a first `doorstep run` shows a living community rather than empty
lists: disputes in communities A and B, a psychologist's open slots, one dispatch order.

Written through the sync engine's server path (versions, feed, audit) and the same rules a push
runs (an orange dispute raises a warning), so they behave like any synced record.  Loaded only
when there are no disputes yet; clearly marked （演示） like the rest of the demo data.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server.accounts.tables import User
from server.db import write_transaction
from server.disputes.tables import Dispute
from server.org.importer import unit_id
from server.org.tree import load_tree
from server.replication.reactions import react
from server.replication.store import WorkingSet
from sync.engine import server_write
from sync.hlc import ServerClock
from sync.model import Actor, Applied

DEMO_NAMESPACE = uuid.UUID("9a1f3c2e-7b6d-4e5f-8a9b-0c1d2e3f4a5b")
STAMP = "%Y-%m-%dT%H:%M:%S.000Z"
#: the audit trail names this as the device of the demo records
SEED_DEVICE = str(uuid.uuid5(DEMO_NAMESPACE, "seed-device"))


def _id(name: str) -> str:
    return str(uuid.uuid5(DEMO_NAMESPACE, name))


async def seed_demo_records() -> int:
    """Create the demo records once; returns how many were written."""
    if await Dispute.count() > 0:
        return 0
    users = {
        r["username"]: str(r["id"])
        for r in await User.select(User.username, User.id).where(
            User.username.is_in(["gw.a1", "gw.b1", "admin.a", "psy.a"])
        )
    }
    if len(users) < 4:
        return 0
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    community_a, community_b = unit_id("GM.GUANGMING.C01"), unit_id("GM.GONGMING.C01")
    grid_a = unit_id("GM.GUANGMING.C01.G1")
    disputes: list[tuple[str, str, dict[str, Any]]] = [
        (
            "gw.a1",
            "dispute-noise",
            {
                "community_id": str(community_a),
                "grid_id": str(grid_a),
                "channel": "door_to_door",
                "category": "neighbour",
                "title": "楼上装修噪音扰民（演示）",
                "description": "3栋住户反映楼上夜间装修，已上门了解，双方愿意协商。",
                "risk_level": "blue",
                "status": "mediating",
                "tags": ["噪音", "装修"],
                "address": "示范路1号3栋",
            },
        ),
        (
            "gw.a1",
            "dispute-wages",
            {
                "community_id": str(community_a),
                "grid_id": str(grid_a),
                "channel": "hall",
                "category": "labour_wages",
                "title": "工地拖欠工资（演示）",
                "description": "十余名工人反映工程款拖欠两个月，情绪激动。",
                "risk_level": "orange",
                "status": "registered",
                "tags": ["欠薪"],
                "address": "示范工业园",
            },
        ),
        (
            "gw.a1",
            "dispute-rental",
            {
                "community_id": str(community_a),
                "channel": "app",
                "category": "property_rental",
                "title": "租房押金退还纠纷（演示）",
                "risk_level": "yellow",
                "status": "registered",
            },
        ),
        (
            "gw.b1",
            "dispute-parking",
            {
                "community_id": str(community_b),
                "channel": "door_to_door",
                "category": "neighbour",
                "title": "小区车位占用纠纷（演示）",
                "risk_level": "blue",
                "status": "registered",
            },
        ),
    ]
    tree = await load_tree(force=True)
    now_ms = int(now.timestamp() * 1000)
    clock = ServerClock()
    async with write_transaction():
        ws = WorkingSet(SEED_DEVICE, "seed")
        applied: list[Applied] = []

        def write(user: str, collection: str, name: str, fields: dict[str, Any]) -> None:
            ws.expect_new(collection, _id(name))
            actor = Actor(users[user], SEED_DEVICE)
            applied.append(
                server_write(
                    ws, collection, _id(name), fields, now_ms=now_ms, clock=clock, actor=actor
                )
            )

        for user, name, fields in disputes:
            write(user, "disputes", name, fields)
        for day, hour in ((1, 9), (1, 14), (2, 10), (3, 15)):
            start = now.replace(hour=hour - 8) + timedelta(days=day)  # Shanghai hours in UTC
            write(
                "psy.a",
                "psych_slots",
                f"slot-{day}-{hour}",
                {
                    "psychologist_id": users["psy.a"],
                    "room_id": str(unit_id("GM.GUANGMING.C01.ROOM")),
                    "starts_at": start.strftime(STAMP),
                    "ends_at": (start + timedelta(hours=1)).strftime(STAMP),
                    "status": "open",
                },
            )
        write(
            "admin.a",
            "dispatch_orders",
            "order-wages",
            {
                "community_id": str(community_a),
                "dispute_id": _id("dispute-wages"),
                "department_id": str(unit_id("GM.DEPT.HRSS")),
                "summary": "请劳动监察部门到场核实欠薪情况（演示）",
                "required_leader_level": "section",
                "arrive_by": (now + timedelta(hours=4)).strftime(STAMP),
                "resolve_by": (now + timedelta(days=3)).strftime(STAMP),
                "status": "issued",
            },
        )
        after_commit = await react(ws, applied, tree, now_ms=now_ms, clock=clock)
        await ws.flush()
    for callback in after_commit:
        callback()
    return len(ws.writes)
