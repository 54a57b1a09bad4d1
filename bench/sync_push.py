"""Push throughput: N devices push batches of 100 field edits over HTTP to `doorstep serve` on
PostgreSQL, against a raw asyncpg baseline writing the same rows into the same tables.

    .venv/bin/python bench/sync_push.py [--devices 8] [--batches 12] [--workers 2]

It creates its own database, starts the server (2 uvicorn workers), seeds the demo users,
creates the records to edit (not measured), measures, prints, stops the server and drops the
database.  Edits are updates of existing disputes; 10% of each batch edits records that another
device edits at the same moment from the same stale base (so they merge).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
import httpx
import msgspec
from harness import ROOT, Server, data_dir, doorstep_env, hlc, login, machine, pg_database

sys.path.insert(0, str(ROOT))
from server.org.importer import unit_id

BATCH = 100
SHARED_PER_BATCH = 10  # 10% concurrent with another device
COMMUNITY_A = str(unit_id("GM.GUANGMING.C01"))
EDITABLE = ("title", "description", "address")


class Device:
    def __init__(self, client: httpx.AsyncClient, login_body: dict[str, Any]) -> None:
        self.client = client
        self.device_id = login_body["device_id"]
        self.headers = {
            "Authorization": f"Bearer {login_body['access_token']}",
            "Content-Type": "application/json",
        }
        self.seq = 0
        self.own: list[str] = []
        self.versions: dict[str, int] = {}
        self.shared: list[str] = []

    def mutation(self, record_id: str, fields: dict[str, Any], base: int) -> dict[str, Any]:
        self.seq += 1
        return {
            "id": str(uuid.uuid4()),
            "seq": self.seq,
            "collection": "disputes",
            "record_id": record_id,
            "op": "upsert",
            "base_version": base,
            "hlc": hlc(self.device_id, self.seq),
            "fields": fields,
        }

    async def push(self, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        body = msgspec.json.encode({"schema_version": 1, "mutations": mutations})
        response = await self.client.post("/api/sync/push", content=body, headers=self.headers)
        response.raise_for_status()
        results: list[dict[str, Any]] = response.json()["results"]
        return results


def _dispute(title: str) -> dict[str, Any]:
    return {
        "community_id": COMMUNITY_A,
        "title": title,
        "risk_level": "blue",
        "channel": "door_to_door",
        "status": "registered",
    }


async def seed_records(devices: list[Device], per_device: int, shared: int) -> None:
    async def create(device: Device, count: int, into: list[str]) -> None:
        for start in range(0, count, BATCH):
            batch = []
            for i in range(start, min(count, start + BATCH)):
                rid = str(uuid.uuid4())
                into.append(rid)
                batch.append(device.mutation(rid, _dispute(f"纠纷 {i}"), 0))
            for m, r in zip(batch, await device.push(batch), strict=True):
                assert r["status"] == "applied", r
                device.versions[m["record_id"]] = r["record_version"]

    await asyncio.gather(*(create(d, per_device, d.own) for d in devices))
    # each pair of devices shares a pool of records, created by the first of the pair
    for i in range(0, len(devices) - 1, 2):
        pool: list[str] = []
        await create(devices[i], shared, pool)
        devices[i].shared = devices[i + 1].shared = pool
    for d in devices:
        for rid in d.shared:
            d.versions.setdefault(rid, 1)


def plan_batches(devices: list[Device], batches: int) -> dict[Device, list[list[dict[str, Any]]]]:
    """Every batch of every device, built before the clock starts."""
    plans: dict[Device, list[list[dict[str, Any]]]] = {}
    for index, device in enumerate(devices):
        todo = []
        own_cursor = 0
        for b in range(batches):
            batch = []
            for i in range(BATCH - (SHARED_PER_BATCH if device.shared else 0)):
                rid = device.own[own_cursor % len(device.own)]
                own_cursor += 1
                field = EDITABLE[(own_cursor + index) % len(EDITABLE)]
                base = device.versions[rid]
                batch.append(device.mutation(rid, {field: f"d{index} b{b} m{i}"}, base))
                device.versions[rid] = base + 1  # the device's own next edit builds on it
            if device.shared:
                # both devices of the pair edit the same records from the same (stale) base
                for j in range(SHARED_PER_BATCH):
                    rid = device.shared[(b * SHARED_PER_BATCH + j) % len(device.shared)]
                    batch.append(device.mutation(rid, {"description": f"d{index} b{b}"}, 1))
            todo.append(batch)
        plans[device] = todo
    return plans


async def measure_push(
    plans: dict[Device, list[list[dict[str, Any]]]],
) -> tuple[int, float, dict[str, int]]:
    statuses: dict[str, int] = {}

    async def run(device: Device, batches: list[list[dict[str, Any]]]) -> None:
        for batch in batches:
            for r in await device.push(batch):
                statuses[r["status"]] = statuses.get(r["status"], 0) + 1

    total = sum(len(b) for batches in plans.values() for b in batches)
    started = time.perf_counter()
    await asyncio.gather(*(run(d, b) for d, b in plans.items()))
    return total, time.perf_counter() - started, statuses


async def measure_baseline(
    url: str, plans: dict[Device, list[list[dict[str, Any]]]], connections: int, full: bool
) -> tuple[int, float]:
    """Raw asyncpg: per batch, one transaction of executemany upserts of the same rows.

    full=True writes what a push writes per mutation (the record row, its version snapshot, an
    audit row, the device's answer, the feed entry, the counter); full=False only the records.
    """
    pool = await asyncpg.create_pool(url, min_size=connections, max_size=connections)
    assert pool is not None
    now = datetime.now(UTC)
    fake_device = uuid.uuid4()
    user = uuid.uuid4()
    meta = json.dumps({"title": [2, "x"], "description": [2, "x"], "address": [2, "x"]})

    def rows_of(batch: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        out = []
        for m in batch:
            f = m["fields"]
            out.append(
                (
                    uuid.UUID(m["record_id"]),
                    m["base_version"] + 1000,
                    now,
                    meta,
                    uuid.UUID(COMMUNITY_A),
                    f.get("title", "t"),
                    f.get("description"),
                    f.get("address"),
                )
            )
        return out

    upsert = (
        "INSERT INTO disputes (id, version, deleted, created_at, updated_at, field_meta,"
        " community_id, title, description, address, risk_level, channel, status)"
        " VALUES ($1, $2, false, $3, $3, $4, $5, $6, $7, $8, 'blue', 'door_to_door', 'registered')"
        " ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version,"
        " updated_at = EXCLUDED.updated_at, field_meta = EXCLUDED.field_meta,"
        " title = EXCLUDED.title, description = EXCLUDED.description,"
        " address = EXCLUDED.address"
    )
    counter = 0

    async def run(batches: list[list[dict[str, Any]]]) -> None:
        nonlocal counter
        async with pool.acquire() as conn:
            for batch in batches:
                counter += 1
                tag = counter
                async with conn.transaction():
                    rows = rows_of(batch)
                    await conn.executemany(upsert, rows)
                    if not full:
                        continue
                    await conn.executemany(
                        "INSERT INTO record_versions (key, collection, record_id, version, fields,"
                        " hlc, user_id, device_id, mutation_id, at)"
                        " VALUES ($1, 'disputes', $2, $3, $4, $5, $6, $7, $8, $9)"
                        " ON CONFLICT (key) DO NOTHING",
                        [
                            (
                                f"b/{tag}/{m['id']}",
                                r[0],
                                r[1],
                                json.dumps(m["fields"]),
                                m["hlc"],
                                user,
                                fake_device,
                                uuid.UUID(m["id"]),
                                now,
                            )
                            for m, r in zip(batch, rows, strict=True)
                        ],
                    )
                    await conn.executemany(
                        "INSERT INTO audit_log (at, user_id, device_id, collection, record_id,"
                        " version, field, old, new, mutation_id)"
                        " VALUES ($1, $2, $3, 'disputes', $4, $5, $6, $7, $8, $9)",
                        [
                            (
                                now,
                                user,
                                fake_device,
                                r[0],
                                r[1],
                                next(iter(m["fields"])),
                                '"old"',
                                json.dumps(next(iter(m["fields"].values()))),
                                uuid.UUID(m["id"]),
                            )
                            for m, r in zip(batch, rows, strict=True)
                        ],
                    )
                    await conn.executemany(
                        "INSERT INTO device_answers (key, device_id, seq, mutation_id, result, at)"
                        " VALUES ($1, $2, $3, $4, $5, $6)",
                        [
                            (
                                f"{fake_device}/{tag}/{m['seq']}",
                                fake_device,
                                m["seq"],
                                uuid.UUID(m["id"]),
                                json.dumps({"id": m["id"], "seq": m["seq"], "status": "applied"}),
                                now,
                            )
                            for m in batch
                        ],
                    )
                    last = await conn.fetchval(
                        "UPDATE sync_counter SET value = value + $1 WHERE id = 1 RETURNING value",
                        len(batch),
                    )
                    await conn.executemany(
                        "INSERT INTO sync_feed (key, seq, collection, record_id, version, deleted,"
                        " scope_org_id) VALUES ($1, $2, 'disputes', $3, $4, false, $5)"
                        " ON CONFLICT (key) DO UPDATE SET seq = EXCLUDED.seq,"
                        " version = EXCLUDED.version",
                        [
                            (f"disputes/{r[0]}", last - i, r[0], r[1], uuid.UUID(COMMUNITY_A))
                            for i, r in enumerate({r[0]: r for r in rows}.values())
                        ],
                    )

    total = sum(len(b) for batches in plans.values() for b in batches)
    started = time.perf_counter()
    await asyncio.gather(*(run(b) for b in plans.values()))
    elapsed = time.perf_counter() - started
    await pool.close()
    return total, elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--batches", type=int, default=25, help="batches of 100 per device")
    parser.add_argument("--records", type=int, default=600, help="own records per device")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="leave the server running (profiling)")
    args = parser.parse_args()

    async with pg_database() as url:
        with data_dir() as d:
            server = Server(doorstep_env(url, d), workers=args.workers)
            server.run_cli("seed", "--demo")
            server.start(migrate=False)
            try:
                limits = httpx.Limits(max_connections=args.devices + 2)
                async with httpx.AsyncClient(base_url=server.url, timeout=120, limits=limits) as c:
                    names = ["gw.a1", "gw.a2", "admin.a"]
                    devices = [Device(c, await login(c, names[i % 3])) for i in range(args.devices)]
                    await seed_records(devices, args.records, 200)
                    plans = plan_batches(devices, args.batches)
                    # warm-up: one batch per device, not counted
                    warm = {dev: [b.pop(0)] for dev, b in plans.items()}
                    await measure_push(warm)
                    total, elapsed, statuses = await measure_push(plans)
                base_total, base_elapsed = await measure_baseline(url, plans, args.devices, True)
                rec_total, rec_elapsed = await measure_baseline(url, plans, args.devices, False)
            finally:
                server.stop()

    rate = total / elapsed
    base_rate = base_total / base_elapsed
    rec_rate = rec_total / rec_elapsed
    print(f"machine: {machine()}")
    print(
        f"devices: {args.devices}, batches of {BATCH}, {args.batches - 1} measured batches each, "
        f"server workers: {args.workers}"
    )
    print(f"push:     {total} mutations in {elapsed:.2f} s = {rate:,.0f} mutations/s  {statuses}")
    print(
        f"baseline: {base_total} rows in {base_elapsed:.2f} s = {base_rate:,.0f} rows/s "
        "(asyncpg executemany, same rows in the same tables: record, version, audit, answer, feed)"
    )
    print(f"baseline (records table only): {rec_rate:,.0f} rows/s")
    print(
        f"ratio: {rate / base_rate:.0%} of the baseline (target >= 30%), "
        f"{rate / rec_rate:.0%} of the records-only baseline"
    )
    print(f"target >= 5,000 mutations/s: {'met' if rate >= 5000 else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
