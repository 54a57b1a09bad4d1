"""Public appeals: sustained submissions per second to `doorstep serve --workers 2` on
PostgreSQL, with latency percentiles, next to a baseline measured in the same run.

    .venv/bin/python bench/public_appeals.py [--rate 200] [--seconds 20] [--workers 2]

It creates its own database, seeds the demo org tree, starts the server and then:

1. baseline: `GET /health/live` as fast as the same client can (closed loop): what one HTTP
   round trip through the same server, middleware and client costs on this machine;
2. capacity: `POST /api/public/appeals` as fast as it can (closed loop, same concurrency);
3. sustained: an open loop at `--rate` submissions per second for `--seconds`, each request sent
   at its scheduled time whether or not earlier ones have answered (so a slow server shows as
   latency, not as a politely lower rate); reports the achieved rate and p50/p95/p99 latency.

Each appeal is a real one, sent as the PWA's outbox sends it (with its `client_id`): a dispute
written through the sync engine (version, audit, change feed, lifecycle fact), the appeal row,
its timeline step and an inbox notice to each of the hall's staff (`--hall-staff` community
admins added to every community of the bench's stations), from one of the demo stations.  Residents come
from many addresses (X-Forwarded-For through the trusted local proxy address), as behind the
production reverse proxy; the per-station limit is raised for the run
(DOORSTEP_PUBLIC_APPEALS_PER_STATION) since a few demo stations take the whole load.

The load generator shares the machine with the server, so it is kept light: one asyncio
process, bodies and headers encoded before the clock starts.  Since the machine is shared with
other sessions, the run also reports the CPU time each appeal cost in the server's processes,
in PostgreSQL's backends and in the load generator (independent of what else runs), the
appeals written per transaction (group commit, server/public/group_commit.py) and the load
average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp
import asyncpg
import httpx
import msgspec
from harness import ROOT, Server, data_dir, doorstep_env, login, machine, pg_database

sys.path.insert(0, str(ROOT))

from server.org.importer import unit_id

STATIONS = [
    "GM.GUANGMING.C01.S1",
    "GM.GUANGMING.C02.S1",
    "GM.GONGMING.C01.S1",
    "GM.XINHU.C01.S1",
    "GM.FENGHUANG.C01.S1",
    "GM.YUTANG.C01.S1",
    "GM.MATIAN.C01.S1",
]
SERVICES = ["dispute", "legal", "psych", "complaint", "assistance"]
TICK = os.sysconf("SC_CLK_TCK")

#: one request, encoded before the clock starts: (body, headers)
Prepared = tuple[bytes, dict[str, str]]


def appeal(n: int) -> dict[str, Any]:
    return {
        "station_code": STATIONS[n % len(STATIONS)],
        "service_type": SERVICES[n % len(SERVICES)],
        "title": f"压测诉求 {n}",
        "description": "楼道堆放杂物，存在消防隐患，请社区协调清理。" * 3,
        "contact_phone": f"138{n % 100000000:08d}",
        "location": {"lat": 22.78 + (n % 100) / 10000, "lng": 113.90 + (n % 97) / 10000},
        # the PWA's outbox id: a resend after a lost answer gets the same tracking code
        "client_id": str(uuid.UUID(int=n + 1)),
    }


async def staff_the_halls(base_url: str, per_hall: int) -> None:
    """The demo seeds hall staff in two communities only; give every community the bench's
    stations belong to `per_hall` community admins, so every appeal notifies its hall."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        token = (await login(client, "district"))["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for station in STATIONS:
            community = station.rsplit(".", 1)[0]
            for k in range(per_hall):
                response = await client.post(
                    "/api/admin/users",
                    headers=headers,
                    json={
                        "username": f"bench.{community.lower().replace('.', '-')}.{k}",
                        "password": "bench-hall-staff",
                        "display_name": f"压测大厅 {community} {k}",
                        "role": "community_admin",
                        "org_unit_id": str(unit_id(community)),
                    },
                )
                response.raise_for_status()


def address(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def prepare(first: int, count: int) -> list[Prepared]:
    return [
        (
            msgspec.json.encode(appeal(n)),
            {"Content-Type": "application/json", "X-Forwarded-For": address(n)},
        )
        for n in range(first, first + count)
    ]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# ---- CPU time per appeal, whatever else the shared machine runs -------------------------------
def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


class CpuMeter:
    """CPU seconds spent by the server's processes, the database's backends and this process."""

    def __init__(self, server: Server, db_url: str) -> None:
        assert server.proc is not None
        self.server_pids = _descendants(server.proc.pid)
        self.db_url = db_url
        self.db_name = db_url.rsplit("/", 1)[1]

    async def sample(self) -> dict[str, Any]:
        conn = await asyncpg.connect(self.db_url)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.db_name,
            )
        finally:
            await conn.close()
        return {
            "server": sum(_cpu_of(p) for p in self.server_pids),
            "db": {int(r["pid"]): _cpu_of(int(r["pid"])) for r in rows},
            "client": time.process_time(),
        }

    @staticmethod
    def spent(before: dict[str, Any], after: dict[str, Any]) -> tuple[float, float, float]:
        db = sum(cpu - before["db"].get(pid, 0.0) for pid, cpu in after["db"].items())
        return after["server"] - before["server"], db, after["client"] - before["client"]


async def appeals_per_transaction(db_url: str) -> float:
    """Disputes written per write transaction: one batch's versions share its timestamp."""
    conn = await asyncpg.connect(db_url)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT at) AS batches FROM record_versions"
            " WHERE collection = 'disputes'"
        )
    finally:
        await conn.close()
    return int(row["n"]) / max(1, int(row["batches"]))


# ---- the load -----------------------------------------------------------------------------------
async def closed_loop(
    session: aiohttp.ClientSession,
    url: str,
    seconds: float,
    concurrency: int,
    prepared: list[Prepared] | None,
) -> tuple[int, float, list[int]]:
    counter = iter(range(10**9))
    statuses: list[int] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            if prepared is not None:
                body, headers = prepared[next(counter)]
                resp = await session.post(url, data=body, headers=headers)
            else:
                resp = await session.get(url)
            await resp.read()
            statuses.append(resp.status)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(statuses), time.perf_counter() - started, statuses


async def open_loop(
    session: aiohttp.ClientSession, url: str, rate: float, prepared: list[Prepared]
) -> tuple[list[float], list[int], float]:
    latencies: list[float] = []
    statuses: list[int] = []
    started = time.perf_counter()

    async def one(n: int, body: bytes, headers: dict[str, str]) -> None:
        await asyncio.sleep(max(0.0, started + (n / rate) - time.perf_counter()))
        sent = time.perf_counter()
        try:
            resp = await session.post(url, data=body, headers=headers)
            await resp.read()
            statuses.append(resp.status)
        except aiohttp.ClientError:
            statuses.append(0)
        latencies.append(time.perf_counter() - sent)

    await asyncio.gather(*(one(n, body, headers) for n, (body, headers) in enumerate(prepared)))
    return latencies, statuses, time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--hall-staff", type=int, default=2, help="community admins added per hall")
    args = parser.parse_args()
    total = int(args.rate * args.seconds)
    capacity_bodies = prepare(0, 20_000)
    sustained_bodies = prepare(10**6, total)
    load_before = load_average()
    async with pg_database() as url:
        with data_dir() as d:
            env = doorstep_env(url, d)
            env["DOORSTEP_PUBLIC_APPEALS_PER_STATION"] = "1000000"
            server = Server(env, workers=args.workers)
            server.run_cli("migrate")
            server.run_cli("seed", "--demo")
            server.start(migrate=False)
            try:
                await staff_the_halls(server.url, args.hall_staff)
                meter = CpuMeter(server, url)
                connector = aiohttp.TCPConnector(limit=0)
                async with aiohttp.ClientSession(connector=connector) as session:
                    target = f"{server.url}/api/public/appeals"
                    health = f"{server.url}/health/live"
                    await closed_loop(session, health, 2, 8, None)  # warm up
                    base_n, base_s, _ = await closed_loop(
                        session, health, 8, args.concurrency, None
                    )
                    cap_n, cap_s, cap_statuses = await closed_loop(
                        session, target, 8, args.concurrency, capacity_bodies
                    )
                    load_mid = load_average()
                    before = await meter.sample()
                    latencies, statuses, took = await open_loop(
                        session, target, args.rate, sustained_bodies
                    )
                    after = await meter.sample()
                per_tx = await appeals_per_transaction(url)
            finally:
                server.stop()
    baseline = base_n / base_s
    capacity = cap_n / cap_s
    ok = sum(1 for s in statuses if s == 201)
    achieved = ok / took
    ms = [v * 1000 for v in latencies]
    server_cpu, db_cpu, client_cpu = CpuMeter.spent(before, after)
    others = Counter(s for s in statuses if s != 201)
    print(
        f"machine: {machine()}; doorstep serve --workers {args.workers}, PostgreSQL;"
        f" {args.hall_staff} staff added per hall"
    )
    print(f"load average: {load_before} before, {load_mid} before the sustained phase,")
    print(f"              {load_average()} after")
    print(f"baseline GET /health/live (closed loop, {args.concurrency} clients): {baseline:.0f}/s")
    print(
        f"POST /api/public/appeals capacity (closed loop): {capacity:.0f}/s"
        f" = {capacity / baseline:.2f} × baseline;"
        f" non-201: {sum(1 for s in cap_statuses if s != 201)}"
    )
    print(
        f"sustained at {args.rate:.0f}/s for {args.seconds:.0f} s: {achieved:.0f}/s accepted"
        f" ({ok}/{len(statuses)} answered 201; others {dict(others) or 'none'}),"
        f" latency p50 {statistics.median(ms):.0f} ms,"
        f" p95 {percentile(ms, 95):.0f} ms, p99 {percentile(ms, 99):.0f} ms"
    )
    per = 1000 / max(1, ok)  # per appeal written (the cheap 503s and 429s are counted in)
    print(
        f"CPU per appeal written in the sustained phase: server {server_cpu * per:.2f} ms,"
        f" PostgreSQL backends {db_cpu * per:.2f} ms, load generator {client_cpu * per:.2f} ms"
        f" (2 cores give {args.rate:.0f}/s at most {2000 / args.rate:.1f} ms in all);"
        f" appeals per write transaction over the run: {per_tx:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
