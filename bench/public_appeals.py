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

Each appeal is a real one: a dispute written through the sync engine (version, audit, change
feed, lifecycle fact), the appeal row, its timeline step and the hall's inbox notice, from one of
the demo stations.  Residents come from many addresses (X-Forwarded-For through the trusted local
proxy address), as behind the production reverse proxy; the per-station limit is raised for the
run (DOORSTEP_PUBLIC_APPEALS_PER_STATION) since a few demo stations take the whole load.
The load generator shares the machine with the server: the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp
from harness import ROOT, Server, data_dir, doorstep_env, machine, pg_database

sys.path.insert(0, str(ROOT))

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


def appeal(n: int) -> dict[str, Any]:
    return {
        "station_code": STATIONS[n % len(STATIONS)],
        "service_type": SERVICES[n % len(SERVICES)],
        "title": f"压测诉求 {n}",
        "description": "楼道堆放杂物，存在消防隐患，请社区协调清理。" * 3,
        "contact_phone": f"138{n % 100000000:08d}",
        "location": {"lat": 22.78 + (n % 100) / 10000, "lng": 113.90 + (n % 97) / 10000},
    }


def address(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def closed_loop(
    session: aiohttp.ClientSession, url: str, seconds: float, concurrency: int, post: bool
) -> tuple[int, float, list[int]]:
    counter = iter(range(10**9))
    statuses: list[int] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            n = next(counter)
            if post:
                resp = await session.post(
                    url, json=appeal(n), headers={"X-Forwarded-For": address(n)}
                )
            else:
                resp = await session.get(url)
            await resp.read()
            statuses.append(resp.status)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(statuses), time.perf_counter() - started, statuses


async def open_loop(
    session: aiohttp.ClientSession, url: str, rate: float, seconds: float, first: int
) -> tuple[list[float], list[int], float]:
    latencies: list[float] = []
    statuses: list[int] = []
    total = int(rate * seconds)
    started = time.perf_counter()

    async def one(n: int) -> None:
        await asyncio.sleep(max(0.0, started + (n / rate) - time.perf_counter()))
        sent = time.perf_counter()
        resp = await session.post(
            url, json=appeal(first + n), headers={"X-Forwarded-For": address(first + n)}
        )
        await resp.read()
        latencies.append(time.perf_counter() - sent)
        statuses.append(resp.status)

    await asyncio.gather(*(one(n) for n in range(total)))
    return latencies, statuses, time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    random.seed(12)
    async with pg_database() as url:
        with data_dir() as d:
            env = doorstep_env(url, d)
            env["DOORSTEP_PUBLIC_APPEALS_PER_STATION"] = "1000000"
            server = Server(env, workers=args.workers)
            server.run_cli("migrate")
            server.run_cli("seed", "--demo")
            server.start(migrate=False)
            try:
                connector = aiohttp.TCPConnector(limit=0)
                async with aiohttp.ClientSession(connector=connector) as session:
                    target = f"{server.url}/api/public/appeals"
                    await closed_loop(session, f"{server.url}/health/live", 2, 8, False)  # warm up
                    base_n, base_s, _ = await closed_loop(
                        session, f"{server.url}/health/live", 8, args.concurrency, False
                    )
                    cap_n, cap_s, cap_statuses = await closed_loop(
                        session, target, 8, args.concurrency, True
                    )
                    latencies, statuses, took = await open_loop(
                        session, target, args.rate, args.seconds, first=10**6
                    )
            finally:
                server.stop()
    baseline = base_n / base_s
    capacity = cap_n / cap_s
    ok = sum(1 for s in statuses if s == 201)
    achieved = ok / took
    ms = [v * 1000 for v in latencies]
    print(f"machine: {machine()}; doorstep serve --workers {args.workers}, PostgreSQL")
    print(f"baseline GET /health/live (closed loop, {args.concurrency} clients): {baseline:.0f}/s")
    print(
        f"POST /api/public/appeals capacity (closed loop): {capacity:.0f}/s"
        f" = {capacity / baseline:.2f} × baseline; non-201: {sum(1 for s in cap_statuses if s != 201)}"
    )
    print(
        f"sustained at {args.rate:.0f}/s for {args.seconds:.0f} s: {achieved:.0f}/s accepted"
        f" ({ok}/{len(statuses)} answered 201), latency p50 {statistics.median(ms):.0f} ms,"
        f" p95 {percentile(ms, 95):.0f} ms, p99 {percentile(ms, 99):.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
