"""Deeply nested JSON (issue 9, item 5): a 400 invalid_request with a clear message on every
JSON endpoint, never a 500, and nothing written; a push that nests too deep does not poison
the device's outbox (the next, sane push goes through)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.http.jsondepth import MAX_JSON_DEPTH, json_depth, looks_like_json
from server.replication.tables import AuditEntry
from sync.validate import has_nul
from tests.helpers import login, new_dispute

pytestmark = pytest.mark.usefixtures("database")

DEPTHS = [MAX_JSON_DEPTH + 1, 500, 1000]


def nested(depth: int, leaf: str = '"x"') -> str:
    """A JSON value `depth` levels deep, alternating lists and objects."""
    text = leaf
    for level in range(depth):
        text = f"[{text}]" if level % 2 else f'{{"k":{text}}}'
    return text


def assert_too_deep(response: Any) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert "nests deeper" in error["message"]
    assert error["details"] == {"max_depth": MAX_JSON_DEPTH}


def test_depth_is_measured_outside_strings() -> None:
    assert json_depth(b'"[[[[{{{"') == 0
    assert json_depth(b'{"a": "]]]}}}", "b": [1, [2]]}') == 3
    assert json_depth(b'["\\"[[["]') == 1
    assert json_depth(nested(1000).encode()) == 1000
    assert looks_like_json(b" [1]", "")
    assert not looks_like_json(b"[1]", "image/png")


def test_the_validator_walks_deep_values_without_recursion() -> None:
    value: Any = "\x00"
    for _ in range(5000):
        value = [value]
    assert has_nul(value)


@pytest.mark.parametrize("depth", DEPTHS)
async def test_login_and_refresh(client: Any, depth: int) -> None:
    body = f'{{"username": "gw.a1", "password": {nested(depth)}, "device_name": "x"}}'
    headers = {"content-type": "application/json"}
    assert_too_deep(await client.post("/api/auth/login", content=body, headers=headers))
    body = f'{{"refresh_token": {nested(depth)}}}'
    assert_too_deep(await client.post("/api/auth/refresh", content=body, headers=headers))


@pytest.mark.parametrize("depth", DEPTHS)
async def test_push_subscriptions(client: Any, depth: int) -> None:
    session = await login(client, "gw.a2")
    body = f'{{"endpoint": "https://push.example.com/x", "keys": {nested(depth)}}}'
    response = await client.post(
        "/api/push/subscriptions",
        content=body,
        headers={**session.headers, "content-type": "application/json"},
    )
    assert_too_deep(response)


@pytest.mark.parametrize("field", ["tags", "parties", "arrival", "title"])
@pytest.mark.parametrize("depth", [500, 950])
async def test_sync_push_deep_field_is_refused_and_does_not_block(
    client: Any, field: str, depth: int
) -> None:
    session = await login(client, "gw.a1")
    before = await AuditEntry.count()
    poison = session.mutation("disputes", fields=new_dispute())
    text = json.dumps({"schema_version": 1, "mutations": [poison]})
    text = text.replace('"title": "', f'"{field}": {nested(depth)}, "title": "', 1)
    response = await client.post(
        "/api/sync/push",
        content=text,
        headers={**session.headers, "content-type": "application/json"},
    )
    assert_too_deep(response)
    assert await AuditEntry.count() == before
    # the device's outbox still drains: the same seq, sane this time, is accepted
    session.next_seq = poison["seq"]
    result = await session.push_one("disputes", fields=new_dispute())
    assert result["status"] == "applied", result
