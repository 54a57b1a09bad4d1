"""Pull throughput: a device pulls 10,000 records in pages of 1,000 from `doorstep serve` on
PostgreSQL, against a raw asyncpg baseline (fetch the same rows + msgspec.json.encode), and the
latency of an empty pull (nothing new since the cursor).

    .venv/bin/python bench/sync_pull.py [--records 10000] [--page 1000] [--rounds 5]

It creates its own database, starts the server, seeds the demo users, pushes the records (not
measured), measures, prints, stops the server and drops the database.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
import httpx
import msgspec
from harness import ROOT, Server, data_dir, doorstep_env, hlc, login, machine, pg_database

sys.path.insert(0, str(ROOT))
from server.org.importer import unit_id

COMMUNITY_A = str(unit_id("GM.GUANGMING.C01"))


async def create_records(client: httpx.AsyncClient, body: dict[str, Any], count: int) -> None:
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    seq = 0
    for start in range(0, count, 500):
        batch = []
        for i in range(start, min(count, start + 500)):
            seq += 1
            batch.append(
                {
                    "id": str(uuid.uuid4()),
                    "seq": seq,
                    "collection": "disputes",
                    "record_id": str(uuid.uuid4()),
                    "op": "upsert",
                    "base_version": 0,
                    "hlc": hlc(body["device_id"], seq),
                    "fields": {
                        "community_id": COMMUNITY_A,
                        "title": f"邻里纠纷 {i}",
                        "description": "楼上装修噪音影响休息，双方多次沟通未果。" * 2,
                        "risk_level": "blue",
                        "channel": "door_to_door",
                        "status": "registered",
                        "category": "neighbour",
                        "address": f"光明街道 {i} 号",
                        "tags": ["noise", "neighbours"],
                        "location": {"lat": 22.75 + i / 1e5, "lng": 113.93},
                    },
                }
            )
        response = await client.post(
            "/api/sync/push",
            content=msgspec.json.encode({"schema_version": 1, "mutations": batch}),
            headers={**headers, "Content-Type": "application/json"},
        )
        response.raise_for_status()
        assert all(r["status"] == "applied" for r in response.json()["results"])


async def pull_all(
    client: httpx.AsyncClient, headers: dict[str, str], page: int
) -> tuple[int, str]:
    cursor = None
    total = 0
    while True:
        params: dict[str, Any] = {"limit": page}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/api/sync/pull", params=params, headers=headers)
        response.raise_for_status()
        body = msgspec.json.decode(response.content)
        total += len(body["changes"])
        cursor = body["cursor"]
        if not body["has_more"]:
            return total, cursor


async def baseline(url: str, page: int) -> int:
    """The same rows straight from the tables, encoded with msgspec, page by page."""
    conn = await asyncpg.connect(url)
    try:
        position, total = 0, 0
        while True:
            rows = await conn.fetch(
                "SELECT f.seq, d.* FROM sync_feed f JOIN disputes d ON d.id = f.record_id"
                " WHERE f.seq > $1 AND f.collection = 'disputes' ORDER BY f.seq LIMIT $2",
                position,
                page,
            )
            if not rows:
                return total
            payload = msgspec.json.encode({"changes": [dict(r) for r in rows]})
            assert payload
            total += len(rows)
            position = rows[-1]["seq"]
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--empty", type=int, default=300, help="empty pulls to time")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    async with pg_database() as url:
        with data_dir() as d:
            server = Server(doorstep_env(url, d), workers=args.workers)
            server.run_cli("seed", "--demo")
            server.start(migrate=False)
            try:
                async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
                    await create_records(client, await login(client, "gw.a1"), args.records)
                    reader = await login(client, "gw.a2")
                    headers = {"Authorization": f"Bearer {reader['access_token']}"}
                    await pull_all(client, headers, args.page)  # warm-up
                    pull_times = []
                    for _ in range(args.rounds):
                        started = time.perf_counter()
                        pulled, cursor = await pull_all(client, headers, args.page)
                        pull_times.append(time.perf_counter() - started)
                        assert pulled >= args.records, pulled
                    empty = []
                    for _ in range(args.empty):
                        started = time.perf_counter()
                        response = await client.get(
                            "/api/sync/pull", params={"cursor": cursor}, headers=headers
                        )
                        empty.append(time.perf_counter() - started)
                        assert response.status_code == 200 and not response.json()["changes"]
                base_times = []
                await baseline(url, args.page)
                for _ in range(args.rounds):
                    started = time.perf_counter()
                    rows = await baseline(url, args.page)
                    base_times.append(time.perf_counter() - started)
                    assert rows >= args.records
            finally:
                server.stop()

    pull_rate = pulled / statistics.median(pull_times)
    base_rate = rows / statistics.median(base_times)
    print(f"machine: {machine()}")
    print(
        f"records: {pulled}, pages of {args.page}, median of {args.rounds} full pulls, "
        f"server workers: {args.workers}"
    )
    print(f"pull:     {statistics.median(pull_times) * 1000:.0f} ms = {pull_rate:,.0f} records/s")
    print(
        f"baseline: {statistics.median(base_times) * 1000:.0f} ms = {base_rate:,.0f} records/s "
        "(asyncpg fetch of the same rows + msgspec.json.encode)"
    )
    print(f"ratio: {pull_rate / base_rate:.0%} of the baseline (target >= 50%)")
    empty_ms = sorted(t * 1000 for t in empty)
    print(
        f"empty pull: median {statistics.median(empty_ms):.2f} ms, "
        f"p90 {empty_ms[int(len(empty_ms) * 0.9)]:.2f} ms over {len(empty_ms)} "
        "(target median < 5 ms; includes the client's HTTP round trip)"
    )


if __name__ == "__main__":
    asyncio.run(main())
