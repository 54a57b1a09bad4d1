"""No single bad mutation blocks a device's outbox (issue 9, item 5).

A 500 on push rolls the batch back, so the same batch comes back forever: a poison pill.  Deep
nesting (depth 600 in `tags`, `parties`, `arrival`) gave 500 today.  The rule: either the whole
request is a 400 `invalid_request` (a decode-time depth bound) and the device can resend the
rest without it, or that mutation is `rejected`/`validation` and the rest of the batch is
answered.  Huge-but-valid values and unicode edge cases are answered too; never a 5xx.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.helpers import Session, login, new_dispute
from tests.server.replication.support import (
    as_user,
    assert_error,
    assert_ok,
    assert_rejected,
    create,
    hours_from_now,
    new_order,
)

pytestmark = pytest.mark.usefixtures("database")

DEPTH = 600


def deep_list(depth: int = DEPTH) -> str:
    return "[" * depth + '"x"' + "]" * depth


def deep_object(depth: int = DEPTH) -> str:
    return '{"a":' * depth + '"x"' + "}" * depth


async def push_raw(session: Session, mutations: list[dict[str, Any]], swaps: dict[str, str]) -> Any:
    """Push `mutations`, replacing each JSON string `"<key>"` in the body by the raw JSON text
    `swaps[key]` (values json.dumps could not build: too deep for Python's recursion)."""
    body = json.dumps({"schema_version": 1, "mutations": mutations}, ensure_ascii=False)
    for key, raw in swaps.items():
        body = body.replace(json.dumps(key), raw)
    return await session.client.post(
        "/api/sync/push",
        content=body.encode(),
        headers={**session.headers, "Content-Type": "application/json"},
    )


async def assert_not_a_poison_pill(
    session: Session,
    good_before: dict[str, Any],
    bad: dict[str, Any],
    good_after: dict[str, Any],
    swaps: dict[str, str],
) -> None:
    """The batch [good, bad, good]: a 400 that leaves the outbox resendable without `bad`, or a
    200 answering all three with `bad` rejected as `validation`."""
    response = await push_raw(session, [good_before, bad, good_after], swaps)
    assert response.status_code < 500, response.text[:300]
    if response.status_code == 400:
        assert_error(response, 400, "invalid_request")
        # nothing was answered: the device drops the bad one and resends the others
        good_after = {**good_after, "seq": bad["seq"], "id": str(uuid.uuid4())}
        again = await session.push(good_before, good_after)
        assert again.status_code == 200, again.text
        assert [r["status"] for r in again.json()["results"]] == ["applied", "applied"]
        session.next_seq = good_after["seq"] + 1
        return
    assert response.status_code == 200, response.text[:300]
    results = response.json()["results"]
    assert [r["seq"] for r in results] == [good_before["seq"], bad["seq"], good_after["seq"]]
    assert_ok(results[0])
    assert_rejected(results[1], "validation")
    assert_ok(results[2])


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("tags", deep_list()),
        ("tags", "[" + deep_object() + "]"),
        ("parties", "[" + deep_object() + "]"),
        ("parties", '[{"name": ' + deep_list() + ', "role": "party"}]'),
        ("location", deep_object()),
    ],
    ids=["tags list", "tags object", "parties object", "party name", "location"],
)
async def test_deep_nesting_in_a_dispute_does_not_block_the_batch(
    client: Any, field: str, raw: str
) -> None:
    gw = await login(client, "gw.a1")
    first = gw.mutation("disputes", fields=new_dispute())
    bad = gw.mutation("disputes", fields={**new_dispute(), field: "__DEEP__"})
    last = gw.mutation("disputes", fields=new_dispute())
    await assert_not_a_poison_pill(gw, first, bad, last, {"__DEEP__": raw})


async def test_deep_nesting_in_a_checkin_does_not_block_the_batch(client: Any) -> None:
    """The department's `arrival` object nested 600 deep, between two good check-ins."""
    admin, dept = await as_user(client, "admin.a"), await login(client, "dept.housing")
    orders = [await create(admin, "dispatch_orders", new_order()) for _ in range(3)]
    acks = [
        dept.mutation("dispatch_orders", o, {"status": "acknowledged"}, base_version=1)
        for o in orders
    ]
    assert [r["status"] for r in (await dept.push(*acks)).json()["results"]] == ["applied"] * 3

    def arrival(order_id: str, leader: Any) -> dict[str, Any]:
        at = hours_from_now(0)
        fields = {"status": "arrived", "arrival": {"at": at, "leader_name": leader}}
        return dept.mutation("dispatch_orders", order_id, fields, base_version=2)

    first = arrival(orders[0], "李科长")
    bad = arrival(orders[1], "__DEEP__")
    last = arrival(orders[2], "王科长")
    await assert_not_a_poison_pill(dept, first, bad, last, {"__DEEP__": deep_object()})


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/auth/login", '{"username": ' + deep_list() + ', "password": "x"}'),
        ("/api/auth/refresh", '{"refresh_token": ' + deep_object() + "}"),
        (
            "/api/push/subscriptions",
            '{"endpoint": "https://x.invalid", "keys": ' + deep_object() + "}",
        ),
    ],
    ids=["login", "refresh", "subscriptions"],
)
async def test_deep_json_elsewhere_is_a_4xx(client: Any, path: str, body: str) -> None:
    """Login, refresh and push subscriptions answer deep JSON with a 4xx envelope, not a 500."""
    session = await as_user(client, "gw.b1")
    response = await client.post(
        path, content=body.encode(), headers={**session.headers, "Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert_error(response, response.status_code)


HARD_VALUES: list[tuple[str, dict[str, Any]]] = [
    ("title at its limit in 4-byte characters", {"title": "𠀀" * 200}),
    ("description at 10,000", {"description": "长" * 10_000}),
    ("description over 10,000", {"description": "长" * 10_001}),
    ("a thousand tags", {"tags": [f"t{i}-" + "x" * 150 for i in range(1000)]}),
    ("NUL inside a value", {"description": "a\u0000b"}),
    ("BOM and zero-width", {"title": "\ufeff\u200b\u200d标题"}),
    ("right-to-left override", {"title": "\u202eevil.exe"}),
    ("combining marks", {"title": "e" + "\u0301" * 150}),
    ("emoji sequences", {"title": "👨‍👩‍👧‍👦" * 20}),
    ("noncharacters", {"title": "\uffff\ufffe\U0010ffff"}),
    ("a party with a huge name", {"parties": [{"name": "名" * 100_000, "role": "x"}]}),
    ("a party that is a string", {"parties": ["张三"]}),
    ("a huge number as a tag", {"tags": [10**40]}),
    ("location with huge numbers", {"location": {"lat": 1e308, "lng": -1e308}}),
    ("location as strings", {"location": {"lat": "22.7", "lng": "113.9"}}),
    ("follow-up in year 99999", {"follow_up_at": "99999-01-01T00:00:00Z"}),
    ("follow-up not a time", {"follow_up_at": "明天"}),
    ("assignee a huge integer", {"assignee_id": 10**30}),
]


async def test_hard_values_are_each_answered_in_one_batch(client: Any) -> None:
    """One batch of good and hard mutations: a 200 that answers every one (applied or
    `rejected` with a 4xx-style code), never a 5xx, and the good ones are applied."""
    gw = await login(client, "gw.a1")
    mutations = []
    for _, fields in HARD_VALUES:
        mutations.append(gw.mutation("disputes", fields=new_dispute()))
        mutations.append(gw.mutation("disputes", fields=new_dispute(**fields)))
    response = await gw.push(*mutations)
    if response.status_code == 413:  # over 1 MiB: the whole request, a documented answer
        pytest.fail("the batch was sized to stay under 1 MiB")
    assert response.status_code == 200, (response.status_code, response.text[:300])
    results = response.json()["results"]
    assert [r["seq"] for r in results] == [m["seq"] for m in mutations]
    for index, result in enumerate(results):
        if index % 2 == 0:
            assert_ok(result)
        else:
            case = HARD_VALUES[index // 2][0]
            assert result["status"] in ("applied", "rejected"), (case, result)
            if result["status"] == "rejected":
                assert result["error"]["code"] in ("validation", "unknown_field"), (case, result)


@pytest.mark.parametrize("case", [c for c, _ in HARD_VALUES], ids=[c for c, _ in HARD_VALUES])
async def test_each_hard_value_alone_is_answered(client: Any, case: str) -> None:
    """The same values one at a time (so one 5xx does not hide another): 200 and an answer."""
    fields = dict(HARD_VALUES)[case]
    gw = await as_user(client, "gw.a1")
    response = await gw.push(gw.mutation("disputes", fields=new_dispute(**fields)))
    assert response.status_code == 200, (response.status_code, response.text[:300])
    [result] = response.json()["results"]
    assert result["status"] in ("applied", "rejected"), result


@pytest.mark.parametrize(
    "raw",
    ['"\\ud800"', '"a\\udc00b"', '"\\udbff\\udbff"'],
    ids=["lone high surrogate", "lone low surrogate", "two highs"],
)
async def test_a_lone_surrogate_is_answered_or_refused_cleanly(client: Any, raw: str) -> None:
    """Escaped lone surrogates decode to text no database can store: a 400 for the request or
    `validation` for that mutation, never a 500 (and the batch is not blocked)."""
    gw = await login(client, "gw.a1")
    first = gw.mutation("disputes", fields=new_dispute())
    bad = gw.mutation("disputes", fields=new_dispute(title="__SURROGATE__"))
    last = gw.mutation("disputes", fields=new_dispute())
    await assert_not_a_poison_pill(gw, first, bad, last, {"__SURROGATE__": raw})
