"""A mutation the server itself fails on never blocks the device (issue 9, item 5).

The fuzz and the deep-nesting tests find the inputs known to break the server; these tests
pin what happens with the ones nobody has found yet.  A fault is injected for one marked
mutation only (the database and everything else stay real): once while it is planned, once
while its writes are stored.  Either way the batch [good, bad, good] is answered with the bad
one `rejected` (`validation`, reason `unprocessable`), the good ones applied, and the device's
next push goes through.
"""

from __future__ import annotations

from typing import Any

import pytest

import sync.engine
from server.replication import services
from tests.helpers import login, new_dispute
from tests.server.replication.support import assert_ok, assert_rejected, record_of

pytestmark = pytest.mark.usefixtures("database")

MARK = "毒丸 poison pill"


async def _assert_only_the_bad_one_is_rejected(client: Any) -> None:
    gw = await login(client, "gw.a1")
    good = gw.mutation("disputes", fields=new_dispute())
    bad = gw.mutation("disputes", fields=new_dispute(title=MARK))
    after = gw.mutation("disputes", fields=new_dispute())
    response = await gw.push(good, bad, after)
    assert response.status_code == 200, response.text[:300]
    results = response.json()["results"]
    assert [r["seq"] for r in results] == [good["seq"], bad["seq"], after["seq"]]
    assert_ok(results[0])
    error = assert_rejected(results[1], "validation")
    assert error["reason"] == "unprocessable", error
    assert_ok(results[2])
    assert await record_of(gw, "disputes", good["record_id"]) is not None
    assert await record_of(gw, "disputes", bad["record_id"]) is None
    # the answer is stored: the same batch again gets the same answers, no replanning
    again = await gw.push(good, bad, after)
    assert [r["status"] for r in again.json()["results"]] == ["applied", "rejected", "applied"]
    assert_ok(await gw.push_one("disputes", None, new_dispute()))


async def test_a_mutation_that_raises_while_planned_is_rejected(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = getattr(sync.engine, "plan_mutation")  # noqa: B009 - not exported; patched below

    def plan(ctx: Any) -> Any:
        if ctx.mutation.fields.get("title") == MARK:
            raise RecursionError("a value no rule foresaw")
        return real(ctx)

    monkeypatch.setattr(sync.engine, "plan_mutation", plan)
    await _assert_only_the_bad_one_is_rejected(client)


async def test_a_mutation_whose_writes_cannot_be_stored_is_rejected(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after planning (a reaction or the flush) rolls the batch back; the server
    retries one mutation per transaction and answers the one that still fails."""
    real = getattr(services, "react")  # noqa: B009 - not exported; patched below

    async def react(ws: Any, applied: Any, *args: Any, **kwargs: Any) -> Any:
        if any(a.after is not None and a.after.fields.get("title") == MARK for a in applied):
            raise RuntimeError("the database refused a value")
        return await real(ws, applied, *args, **kwargs)

    monkeypatch.setattr(services, "react", react)
    await _assert_only_the_bad_one_is_rejected(client)
