"""Group commit of public appeals (server/public/group_commit.py): appeals arriving together are
written together, each lands exactly once, each caller hears only after its appeal committed,
and one bad appeal does not sink the others."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from server.disputes.tables import Dispute
from server.http.errors import ApiError
from server.org.tree import load_tree
from server.public import appeals, codes
from server.public.group_commit import GroupCommit
from server.public.schemas import AppealIn
from server.public.tables import PublicAppeal, PublicThrottle
from server.public.throttle import Limit
from server.settings import get_settings
from tests.server.public.conftest import STATION_A, appeal

SECRET = "test-secret-key-" + "x" * 40


# ---- the batching itself, with a stand-in writer ------------------------------------------------
class Writer:
    """Records the batches it is given; items named in `bad` make a batch fail."""

    def __init__(self, bad: set[int] | None = None, always_fail: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.bad = bad or set()
        self.always_fail = always_fail

    async def __call__(self, items: Sequence[int]) -> list[str | Exception]:
        self.batches.append(list(items))
        await asyncio.sleep(0)  # a real write awaits the database
        if self.always_fail or self.bad.intersection(items):
            raise RuntimeError("the transaction failed")
        return [f"written {i}" for i in items]


async def test_items_queued_during_a_write_go_in_the_next_batch() -> None:
    writer = Writer()
    batches: GroupCommit[int, str] = GroupCommit(writer, max_batch=4)
    results = await asyncio.gather(*(batches.submit(i) for i in range(10)))
    assert results == [f"written {i}" for i in range(10)]
    # all ten queued before the writer ran: batches of at most four, in arrival order
    assert writer.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    # an idle writer takes the next item alone, at once
    assert await batches.submit(10) == "written 10"
    assert writer.batches[-1] == [10]


async def test_a_failed_batch_is_written_again_one_item_at_a_time() -> None:
    writer = Writer(bad={2})
    batches: GroupCommit[int, str] = GroupCommit(writer)
    results = await asyncio.gather(*(batches.submit(i) for i in range(4)), return_exceptions=True)
    assert results[0] == "written 0" and results[1] == "written 1" and results[3] == "written 3"
    assert isinstance(results[2], RuntimeError)
    assert writer.batches == [[0, 1, 2, 3], [0], [1], [2], [3]]


async def test_nobody_is_told_written_when_the_write_fails() -> None:
    batches: GroupCommit[int, str] = GroupCommit(Writer(always_fail=True))
    results = await asyncio.gather(*(batches.submit(i) for i in range(5)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


async def test_an_interrupted_write_acknowledges_nobody() -> None:
    """The writer cancelled mid-write (the server stopping): the batch being written and the
    items queued behind it all fail; none is answered as written."""
    started, never = asyncio.Event(), asyncio.Event()

    async def stuck(items: Sequence[int]) -> list[str | Exception]:
        started.set()
        await never.wait()
        return ["written"] * len(items)

    batches: GroupCommit[int, str] = GroupCommit(stuck, max_batch=2)
    calls = [asyncio.ensure_future(batches.submit(i)) for i in range(4)]
    await started.wait()
    assert batches._writer is not None
    batches._writer.cancel()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results), results


# ---- appeals written in batches, in the database ------------------------------------------------
def _data(n: int, **fields: Any) -> AppealIn:
    return AppealIn(
        **{**appeal(title=f"批量诉求 {n}", client_id=str(uuid.UUID(int=10**9 + n))), **fields}
    )


def _limits(n: int) -> tuple[tuple[Limit, str], ...]:
    return ((Limit("test-batch", 1000, 3600), f"address-{n}"),)


async def _place() -> appeals.Place:
    return appeals.find_place(await load_tree(), _data(0))


async def test_concurrent_appeals_and_their_resends_land_exactly_once(database: None) -> None:
    place = await _place()
    seen = len(appeals._batches.batch_sizes)
    # thirty appeals, each sent twice at once (an outbox resending after a lost answer)
    calls = [
        appeals.submit(_data(n), SECRET, place, _limits(n)) for n in range(30) for _ in range(2)
    ]
    answers = await asyncio.gather(*calls)
    for n in range(30):
        first, second = answers[2 * n], answers[2 * n + 1]
        assert first[0] == second[0]  # one tracking code
        assert sorted([first[1], second[1]]) == [False, True]  # written once
    hashes = [codes.code_hash(SECRET, code) for code, _ in answers]
    assert await PublicAppeal.count().where(PublicAppeal.code_hash.is_in(hashes)) == 30
    titles = [f"批量诉求 {n}" for n in range(30)]
    assert await Dispute.count().where(Dispute.title.is_in(titles)) == 30
    # they were written in batches, not one transaction each
    assert max(appeals._batches.batch_sizes[seen:]) > 1


async def test_one_refused_appeal_does_not_sink_its_batch(database: None) -> None:
    place = await _place()
    # a value the dispute schema refuses (the form's own checks bypassed)
    bad = _data(101)
    bad.service_type = "bogus"  # type: ignore[assignment]
    results = await asyncio.gather(
        appeals.submit(_data(100), SECRET, place, _limits(100)),
        appeals.submit(bad, SECRET, place, _limits(101)),
        appeals.submit(_data(102), SECRET, place, _limits(102)),
        return_exceptions=True,
    )
    assert isinstance(results[1], ApiError) and results[1].status_code == 422
    assert results[0][1] is True and results[2][1] is True  # type: ignore[index]
    assert await Dispute.count().where(Dispute.title.is_in(["批量诉求 100", "批量诉求 102"])) == 2
    assert await Dispute.count().where(Dispute.title == "批量诉求 101") == 0


async def test_a_batch_the_database_refuses_is_written_again_each_alone(database: None) -> None:
    """Two appeals with one code hash (what two workers racing to store one resend would
    write): the batch fails on the unique hash, then each is written alone; the first and the
    unrelated one land once, the clash fails alone, and nothing is counted twice."""
    place = await _place()
    clash = codes.code_hash(SECRET, "CLASH" + uuid.uuid4().hex[:5])
    items = [
        appeals.Pending(_data(200, client_id=None), place, clash, _limits(200)),
        appeals.Pending(_data(201, client_id=None), place, clash, _limits(201)),
        appeals.Pending(_data(202, client_id=None), place, "unrelated" + clash[9:], _limits(202)),
    ]
    batches: GroupCommit[appeals.Pending, bool] = GroupCommit(appeals.write_batch)
    results = await asyncio.gather(*(batches.submit(p) for p in items), return_exceptions=True)
    assert batches.batch_sizes == [3]
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], Exception) and not isinstance(results[1], ApiError)
    assert await PublicAppeal.count().where(PublicAppeal.code_hash == clash) == 1
    titles = ["批量诉求 200", "批量诉求 201", "批量诉求 202"]
    rows = await Dispute.select(Dispute.title).where(Dispute.title.is_in(titles))
    assert sorted(r["title"] for r in rows) == ["批量诉求 200", "批量诉求 202"]
    counted = await PublicThrottle.select(PublicThrottle.key, PublicThrottle.hits).where(
        PublicThrottle.key.like("test-batch:address-20%")
    )
    assert {r["key"]: r["hits"] for r in counted} == {
        f"test-batch:address-{n}": 1 for n in (200, 201, 202)
    }


@pytest.mark.parametrize("room", [1, 2])
async def test_a_station_limit_reached_inside_a_batch(client: Any, room: int) -> None:
    """Appeals counted together still each count once, in order: with room for `room` more at
    a station, `room` of five simultaneous appeals are written and the rest get 429."""
    from datetime import UTC, datetime

    limit = get_settings().public_appeals_per_station
    await PublicThrottle.insert(
        PublicThrottle(
            key=f"appeal-station:{STATION_A}", window_start=datetime.now(UTC), hits=limit - room
        )
    )
    responses = await asyncio.gather(
        *(
            client.post("/api/public/appeals", json=appeal(title=f"站点余量 {room} {n}"))
            for n in range(5)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * room + [429] * (5 - room)
    assert all(int(r.headers["Retry-After"]) >= 1 for r in responses if r.status_code == 429)
    titles = [f"站点余量 {room} {n}" for n in range(5)]
    assert await Dispute.count().where(Dispute.title.is_in(titles)) == room
