"""Empty pulls from the feed heads (issue 13): what a caught-up device's pull costs when it is
answered from the per-scope heads index, against the same pull reading the feed.

    .venv/bin/python bench/empty_pull.py [--pulls 3000] [--concurrency 16]

One PostgreSQL database seeded with the demo records, two `doorstep serve --workers 2` servers on
it: one as shipped, one with `DOORSTEP_FEED_HEADS=off` (every pull reads the feed: the same-run
baseline). Eight demo users' devices catch up, then each server answers `--pulls` empty pulls
from `--concurrency` clients in turn (three alternating rounds, medians reported). Printed:
pulls/s, p50 and p99 per server and the ratio.
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
from harness import Server, caught_up, data_dir, doorstep_env, machine, pg_database

USERS = ["gw.a1", "gw.a2", "gw.b1", "admin.a", "admin.b", "lawyer.a", "street.a", "district"]


async def fleet(client: httpx.AsyncClient) -> list[tuple[dict[str, str], str]]:
    return [await caught_up(client, name) for name in USERS]


async def round_of(
    client: httpx.AsyncClient, devices: list[tuple[dict[str, str], str]], pulls: int, width: int
) -> dict[str, Any]:
    times: list[float] = []
    failed = 0
    queue = iter(range(pulls))

    async def worker() -> None:
        nonlocal failed
        for i in queue:
            headers, cursor = devices[i % len(devices)]
            started = time.perf_counter()
            response = await client.get(
                "/api/sync/pull", params={"cursor": cursor}, headers=headers
            )
            times.append(time.perf_counter() - started)
            if response.status_code != 200 or response.json()["changes"]:
                failed += 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(width)))
    elapsed = time.perf_counter() - began
    times.sort()
    return {
        "per_s": pulls / elapsed,
        "p50": times[len(times) // 2] * 1000,
        "p99": times[int(len(times) * 0.99)] * 1000,
        "failed": failed,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pulls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    results: dict[str, list[dict[str, Any]]] = {"heads": [], "feed": []}
    async with pg_database() as url:
        with data_dir() as d1, data_dir() as d2:
            heads = Server(doorstep_env(url, d1))
            heads.run_cli("seed", "--demo", "--records")
            feed_env = doorstep_env(url, d2)
            feed_env["DOORSTEP_FEED_HEADS"] = "off"
            feed = Server(feed_env)
            heads.start(migrate=False)
            feed.start(migrate=False)
            try:
                servers = {"heads": heads, "feed": feed}
                clients = {
                    name: httpx.AsyncClient(base_url=s.url, timeout=30)
                    for name, s in servers.items()
                }
                devices = {name: await fleet(c) for name, c in clients.items()}
                for name, c in clients.items():  # warm-up
                    await round_of(c, devices[name], 200, args.concurrency)
                for _ in range(3):
                    for name, c in clients.items():
                        results[name].append(
                            await round_of(c, devices[name], args.pulls, args.concurrency)
                        )
                for c in clients.values():
                    await c.aclose()
            finally:
                heads.stop()
                feed.stop()

    def med(name: str, key: str) -> float:
        return float(statistics.median(r[key] for r in results[name]))

    print(f"machine: {machine()}; {args.pulls} empty pulls x 3 rounds, {args.concurrency} clients")
    for name, label in (("heads", "from the feed heads"), ("feed", "reading the feed (baseline)")):
        print(
            f"{label:>28}: {med(name, 'per_s'):7.1f} pulls/s, p50 {med(name, 'p50'):6.2f} ms,"
            f" p99 {med(name, 'p99'):6.2f} ms, failed {sum(r['failed'] for r in results[name])}"
        )
    print(f"ratio (heads / feed throughput): {med('heads', 'per_s') / med('feed', 'per_s'):.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
