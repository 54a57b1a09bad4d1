"""Concurrent administration (issue 9, item 7): ten admins creating one username at once get
one 201 and nine 409s, never a 500, on both engines."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import pytest

from server.accounts.tables import User
from tests.helpers import COMMUNITY_A, login

pytestmark = pytest.mark.usefixtures("database")


async def test_concurrent_creates_of_one_username(client: Any) -> None:
    admin = await login(client, "admin.a")
    username = f"race.{uuid.uuid4().hex[:8]}"
    body = {
        "username": username,
        "password": "long-enough-pw",
        "display_name": "并发用户",
        "role": "grid_worker",
        "org_unit_id": str(COMMUNITY_A),
    }
    answers = await asyncio.gather(*(admin.post("/api/admin/users", json=body) for _ in range(10)))
    statuses = Counter(r.status_code for r in answers)
    assert statuses == Counter({201: 1, 409: 9}), [r.text for r in answers]
    taken = next(r for r in answers if r.status_code == 409).json()["error"]
    assert taken["code"] == "username_taken"
    assert await User.count().where(User.username == username) == 1
