"""A grid worker's first sync grows with what they see, not with the district (issue 13).

    .venv/bin/python bench/scope_pull.py [--visible 9300] [--small 10000] [--large 300000]

One grid worker (gw.a2, community A) pulls everything they may read, from no cursor, in pages
of 1,000, from `doorstep serve --workers 2` on PostgreSQL: first in a district of `--small`
disputes, then after the district grew to `--large` disputes, the new ones all in other
communities (the worker's visible set is the same `--visible` disputes of community A, ≈ 3 % of
the large district, plus the directory).  *Baseline, same run, same rows:* one asyncpg
connection reading the worker's disputes page by page with plain scope-filtered SQL
(`sync_feed JOIN disputes WHERE scope_org_id = A ORDER BY seq LIMIT 1000`, on the same
(scope, seq) index) and `msgspec.json.encode` of each page.  Prints each phase's time, the ratio
to its baseline (target ≥ 50 %) and the growth from small to large (target < 1.5×).

Setup is not measured: one template dispute is pushed over HTTP, then copied in SQL (with its
feed entries numbered from the feed counter), round-robin over the district's other
communities; `ANALYZE` runs after each load.
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


async def push_template(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    record_id = str(uuid.uuid4())
    mutation = {
        "id": str(uuid.uuid4()),
        "seq": 1,
        "collection": "disputes",
        "record_id": record_id,
        "op": "upsert",
        "base_version": 0,
        "hlc": hlc(body["device_id"], 1),
        "fields": {
            "community_id": COMMUNITY_A,
            "title": "邻里纠纷",
            "description": "楼上装修噪音影响休息，双方多次沟通未果。" * 2,
            "risk_level": "blue",
            "channel": "door_to_door",
            "category": "neighbour",
            "address": "光明街道 1 号",
            "tags": ["noise", "neighbours"],
            "parties": [{"name": "张三", "phone": "13800138000", "role": "applicant"}],
            "location": {"lat": 22.75, "lng": 113.93},
        },
    }
    response = await client.post(
        "/api/sync/push",
        json={"schema_version": 1, "mutations": [mutation]},
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    response.raise_for_status()
    assert response.json()["results"][0]["status"] == "applied", response.text
    return record_id


async def copy_disputes(url: str, template: str, count: int, communities: list[str]) -> None:
    """`count` copies of the template, community i % len(communities), with feed entries."""
    conn = await asyncpg.connect(url)
    try:
        columns = [
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'disputes' ORDER BY ordinal_position"
            )
        ]
        overrides = {
            "id": "ids.id",
            "community_id": "($3::uuid[])[1 + (ids.i % array_length($3::uuid[], 1))]",
            "title": "'邻里纠纷 ' || ids.i",
        }
        select = ", ".join(overrides.get(c, f't."{c}"') for c in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        async with conn.transaction():
            await conn.execute(
                "CREATE TEMP TABLE ids AS SELECT i, gen_random_uuid() AS id"
                " FROM generate_series(1, $1) AS i",
                count,
            )
            await conn.execute(
                f"INSERT INTO disputes ({names}) SELECT {select} FROM disputes t, ids"
                " WHERE t.id = $2::uuid AND $1::int > 0",
                count,
                template,
                communities,
            )
            start = await conn.fetchval(
                "UPDATE sync_counter SET value = value + $1 WHERE id = 1 RETURNING value - $1",
                count,
            )
            await conn.execute(
                "INSERT INTO sync_feed (key, seq, collection, record_id, version, deleted,"
                " scope_org_id) SELECT 'disputes/' || d.id, $1 + ids.i, 'disputes', d.id, 1,"
                " false, d.community_id FROM ids JOIN disputes d ON d.id = ids.id",
                start,
            )
            await conn.execute("DROP TABLE ids")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def first_sync(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    cursor, total = None, 0
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/api/sync/pull", params=params, headers=headers)
        response.raise_for_status()
        body = msgspec.json.decode(response.content)
        total += sum(1 for c in body["changes"] if c["collection"] == "disputes")
        cursor = body["cursor"]
        if not body["has_more"]:
            return total


async def baseline(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        position, total = 0, 0
        while True:
            rows = await conn.fetch(
                "SELECT f.seq, d.* FROM sync_feed f JOIN disputes d ON d.id = f.record_id"
                " WHERE f.scope_org_id = $1::uuid AND f.collection = 'disputes' AND f.seq > $2"
                " ORDER BY f.seq LIMIT 1000",
                COMMUNITY_A,
                position,
            )
            if not rows:
                return total
            assert msgspec.json.encode({"changes": [dict(r) for r in rows]})
            total += len(rows)
            position = rows[-1]["seq"]
    finally:
        await conn.close()


async def measure(
    client: httpx.AsyncClient, headers: dict[str, str], url: str, rounds: int
) -> tuple[float, float, int]:
    await first_sync(client, headers)  # warm-up
    await baseline(url)
    pulls, bases = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        seen = await first_sync(client, headers)
        pulls.append(time.perf_counter() - started)
        started = time.perf_counter()
        rows = await baseline(url)
        bases.append(time.perf_counter() - started)
        assert seen == rows, (seen, rows)
    return statistics.median(pulls), statistics.median(bases), seen


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visible", type=int, default=9_300)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    figures = []
    async with pg_database() as url:
        with data_dir() as d:
            server = Server(doorstep_env(url, d), workers=args.workers)
            server.run_cli("seed", "--demo")
            server.start(migrate=False)
            try:
                async with httpx.AsyncClient(base_url=server.url, timeout=300) as client:
                    template = await push_template(client, await login(client, "gw.a1"))
                    conn = await asyncpg.connect(url)
                    others = [
                        str(r["id"])
                        for r in await conn.fetch(
                            "SELECT id FROM org_units WHERE kind = 'community' AND id <> $1",
                            uuid.UUID(COMMUNITY_A),
                        )
                    ]
                    await conn.close()
                    await copy_disputes(url, template, args.visible - 1, [COMMUNITY_A])
                    await copy_disputes(url, template, args.small - args.visible, others)
                    reader = await login(client, "gw.a2")
                    headers = {"Authorization": f"Bearer {reader['access_token']}"}
                    figures.append((args.small, *await measure(client, headers, url, args.rounds)))
                    await copy_disputes(url, template, args.large - args.small, others)
                    figures.append((args.large, *await measure(client, headers, url, args.rounds)))
            finally:
                server.stop()
    print(f"machine: {machine()}")
    print(f"server workers: {args.workers}; median of {args.rounds} first syncs, pages of 1,000")
    for total, pull, base, seen in figures:
        print(
            f"district of {total:>7,} disputes, {seen:,} visible: pull {pull * 1000:7.0f} ms,"
            f" baseline {base * 1000:6.0f} ms, ratio {base / pull:.0%} (target >= 50%)"
        )
    growth = figures[1][1] / figures[0][1]
    print(
        f"growth {args.small:,} -> {args.large:,}: {growth:.2f}x for the same visible set"
        " (target < 1.5x)"
    )


if __name__ == "__main__":
    asyncio.run(main())
