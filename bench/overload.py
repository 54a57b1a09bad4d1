"""Graceful overload (issue 13): at twice the sustainable load the server answers every excess
request at once with 503 + Retry-After, and keeps its throughput.

    .venv/bin/python bench/overload.py [--rates 50,100,200,400,800] [--seconds 5]

`doorstep serve --workers 2` on PostgreSQL (default `DOORSTEP_MAX_IN_FLIGHT`), devices doing
what an open app does most: an incremental pull from a caught-up cursor.  The client is open
loop (requests leave at a fixed rate whatever the answers), so an overloaded server cannot slow
its clients down the way a closed loop would.  First a ramp over `--rates`: the *sustainable*
rate is the highest one answered with no error and p99 < 300 ms; the *peak* is the best
throughput of answered (200) pulls.  Then twice the sustainable rate for `2 × --seconds`:
throughput of 200s against the peak (target ≥ 90 %), p99 latency of the 503s (target < 100 ms),
and failures (timeouts, connection errors: target 0).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from harness import Server, data_dir, doorstep_env, login, machine, pg_database

USERS = ["gw.a1", "gw.a2", "gw.b1", "admin.a", "admin.b", "lawyer.a", "street.a", "district"]


async def devices(client: httpx.AsyncClient, count: int) -> list[tuple[dict[str, str], str]]:
    out = []
    for i in range(count):
        body = await login(client, USERS[i % len(USERS)])
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        cursor = None
        while True:
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/sync/pull", params=params, headers=headers)).json()
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        out.append((headers, cursor))
    return out


async def run_rate(
    client: httpx.AsyncClient, fleet: list[tuple[dict[str, str], str]], rate: int, seconds: float
) -> dict[str, Any]:
    results: list[tuple[int, float]] = []  # (status or -1 for a failure, seconds)

    async def one(i: int) -> None:
        headers, cursor = fleet[i % len(fleet)]
        started = time.perf_counter()
        try:
            response = await client.get(
                "/api/sync/pull", params={"cursor": cursor}, headers=headers
            )
            results.append((response.status_code, time.perf_counter() - started))
        except httpx.HTTPError:
            results.append((-1, time.perf_counter() - started))

    tasks = []
    begin = time.perf_counter()
    total = int(rate * seconds)
    for i in range(total):
        delay = begin + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - begin
    ok = sorted(t for s, t in results if s == 200)
    shed = sorted(t for s, t in results if s == 503)
    failed = [s for s, _ in results if s not in (200, 503)]

    def p99(values: list[float]) -> float:
        return values[min(len(values) - 1, int(len(values) * 0.99))] * 1000 if values else 0.0

    return {
        "rate": rate,
        "ok_per_s": len(ok) / elapsed,
        "ok_p50": statistics.median(ok) * 1000 if ok else 0.0,
        "ok_p99": p99(ok),
        "shed": len(shed),
        "shed_p99": p99(shed),
        "failed": len(failed),
    }


def line(r: dict[str, Any]) -> str:
    return (
        f"rate {r['rate']:>5}/s: answered {r['ok_per_s']:7.1f}/s (p50 {r['ok_p50']:6.1f} ms,"
        f" p99 {r['ok_p99']:7.1f} ms), 503s {r['shed']:>5} (p99 {r['shed_p99']:6.1f} ms),"
        f" failed {r['failed']}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="50,100,200,400,800")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--devices", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--limit-concurrency",
        type=int,
        default=None,
        help="`doorstep serve --limit-concurrency`: uvicorn answers 503 beyond it per worker",
    )
    parser.add_argument("--backlog", type=int, default=None, help="`doorstep serve --backlog`")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    ramp: list[dict[str, Any]] = []
    async with pg_database() as url:
        with data_dir() as d:
            server = Server(doorstep_env(url, d), workers=args.workers)
            if args.limit_concurrency:
                server.extra_args += ["--limit-concurrency", str(args.limit_concurrency)]
            if args.backlog:
                server.extra_args += ["--backlog", str(args.backlog)]
            server.run_cli("seed", "--demo", "--records")
            server.start(migrate=False)
            try:
                limits = httpx.Limits(max_connections=2000, max_keepalive_connections=2000)
                async with httpx.AsyncClient(
                    base_url=server.url, timeout=30, limits=limits
                ) as client:
                    fleet = await devices(client, args.devices)
                    await run_rate(client, fleet, rates[0], 1)  # warm-up
                    for rate in rates:
                        ramp.append(await run_rate(client, fleet, rate, args.seconds))
                        print(line(ramp[-1]), flush=True)
                    fine = [
                        r for r in ramp if r["failed"] == 0 and r["ok_p99"] < 300 and not r["shed"]
                    ]
                    sustainable = max((r["rate"] for r in fine), default=rates[0])
                    peak = max(r["ok_per_s"] for r in ramp)
                    over = await run_rate(client, fleet, 2 * sustainable, 2 * args.seconds)
            finally:
                server.stop()
    print(
        f"machine: {machine()}; server workers: {args.workers}; {args.devices} devices;"
        f" limit-concurrency {args.limit_concurrency}; backlog {args.backlog}"
    )
    print(f"sustainable: {sustainable}/s (no error, p99 < 300 ms); peak answered {peak:.1f}/s")
    print("at 2x sustainable: " + line(over))
    print(
        f"throughput {over['ok_per_s'] / peak:.0%} of peak (target >= 90%);"
        f" 503 p99 {over['shed_p99']:.1f} ms (target < 100 ms); failed {over['failed']} (target 0)"
    )


if __name__ == "__main__":
    asyncio.run(main())
