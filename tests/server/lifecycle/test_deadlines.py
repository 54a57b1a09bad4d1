"""Dispatch-order deadlines (issue 8 "Lifecycle rules"): an order whose `arrive_by` or
`resolve_by` has already passed when it is issued, or whose `resolve_by` comes before its
`arrive_by`, is rejected `validation` and nothing is written."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.server.replication.support import (
    as_user,
    assert_ok,
    assert_rejected,
    hours_from_now,
    new_order,
    record_of,
)

pytestmark = pytest.mark.usefixtures("database")

BAD_DEADLINES: list[tuple[str, dict[str, float], set[str]]] = [
    # (case, deadlines in hours from now (computed when the test runs), fields it may name)
    ("arrive_by already past", {"arrive_by": -1}, {"arrive_by"}),
    ("resolve_by already past", {"arrive_by": -3, "resolve_by": -2}, {"arrive_by", "resolve_by"}),
    ("only resolve_by past", {"arrive_by": 2, "resolve_by": -1}, {"resolve_by"}),
    (
        "resolve_by before arrive_by",
        {"arrive_by": 48, "resolve_by": 24},
        {"resolve_by", "arrive_by"},
    ),
    ("arrive_by a day ago", {"arrive_by": -24}, {"arrive_by"}),
]


@pytest.mark.parametrize(
    ("deadlines", "fields_named"),
    [b[1:] for b in BAD_DEADLINES],
    ids=[b[0] for b in BAD_DEADLINES],
)
async def test_an_order_with_impossible_deadlines_is_rejected(
    client: Any, deadlines: dict[str, float], fields_named: set[str]
) -> None:
    """Deadlines already past at issue, or resolve-by before arrive-by: `validation` naming the
    deadline field; the order does not exist afterwards (the department never sees it)."""
    admin = await as_user(client, "admin.a")
    order_id = str(uuid.uuid4())
    fields = {**new_order(), **{k: hours_from_now(h) for k, h in deadlines.items()}}
    fields.pop("status", None)
    details = assert_rejected(
        await admin.push_one("dispatch_orders", order_id, fields), "validation"
    )
    assert details.get("field") in fields_named, details
    assert (
        await record_of(await as_user(client, "dept.housing"), "dispatch_orders", order_id) is None
    )
    district = await as_user(client, "district")
    assert_rejected(
        await district.push_one("dispatch_orders", order_id, {"summary": "x"}, base_version=1),
        "not_found",
    )


async def test_an_order_with_sound_deadlines_is_applied(client: Any) -> None:
    """The control: future deadlines with resolve-by after arrive-by are fine (also equal ones)."""
    admin = await as_user(client, "admin.a")
    assert_ok(await admin.push_one("dispatch_orders", None, new_order()))
    same = {**new_order(), "arrive_by": hours_from_now(5), "resolve_by": hours_from_now(5)}
    assert_ok(await admin.push_one("dispatch_orders", None, same))
