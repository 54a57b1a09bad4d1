"""Many open apps on one small box (issue 13, target 2): N simulated devices, each holding the
poke stream (`GET /api/sync/events`) open, 1 in 20 pushing a small batch a minute, every device
pulling when poked; `doorstep serve --workers 2` on PostgreSQL with Redis (db 6).

    .venv/bin/pip install aiohttp   # the load generator: one asyncio process, cheap per socket
    .venv/bin/python bench/devices.py [--steps 1000,5000,10000] [--minutes 1] [--staff 0.1]

The mix follows the seed district: mostly safety volunteers, whose scope is their own reports,
and some community staff (grid workers: their community's records, reports included). Users
and devices are inserted straight into the database and their access tokens minted with the
server's secret (40,000 password logins would measure argon2, not sync). Each step connects the
devices not yet connected (each then catches up once, off the clock), then runs `--minutes`:
pushers send 1–3 new reports (volunteers) or disputes (staff) at a random moment of each
minute; a poke makes the device pull until `has_more` is false. Reported per step: p50/p99 of
push and pull, pokes received, failed requests (any status other than 200, timeouts, dropped
streams) and the server's load. The target is p99 < 300 ms and 0 failures at 40,000 devices.

The box limits N: the client holds one descriptor per stream (hard `ulimit -n` here 20,000)
and loopback connections to one address use the ephemeral port range (~28,000).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import resource
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import asyncpg
from harness import Server, data_dir, doorstep_env, machine, pg_database

from server.accounts.security import issue_access_token
from sync.schema import SCHEMA_VERSION

REDIS_URL = os.environ.get("DOORSTEP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
PUSHERS = 20  # one device in 20 pushes a batch a minute


class Stats:
    def __init__(self) -> None:
        self.push: list[float] = []
        self.pull: list[float] = []
        self.pokes = 0
        self.failed: dict[str, int] = {}
        self.recording = False

    def fail(self, what: str) -> None:
        if self.recording:
            self.failed[what] = self.failed.get(what, 0) + 1


class Device:
    def __init__(self, user_id: uuid.UUID, device_id: uuid.UUID, role: str, unit: str) -> None:
        self.user_id = user_id
        self.device_id = device_id
        self.role = role
        self.unit = unit
        self.headers: dict[str, str] = {}
        self.cursor: str | None = None
        self.seq = 0
        self.pulling = False
        self.again = False


async def make_devices(
    url: str, secret: str, count: int, staff_share: float, start: int
) -> list[Device]:
    conn = await asyncpg.connect(url)
    try:
        communities = [
            str(r["id"])
            for r in await conn.fetch("SELECT id FROM org_units WHERE kind = 'community'")
        ]
        template = await conn.fetchrow("SELECT * FROM users WHERE username = 'gw.a1'")
        assert template is not None
        devices = []
        users, rows = [], []
        for i in range(start, start + count):
            role = "grid_worker" if random.random() < staff_share else "volunteer"
            d = Device(uuid.uuid4(), uuid.uuid4(), role, random.choice(communities))
            d.headers = {
                "Authorization": "Bearer "
                + issue_access_token(secret, d.user_id, d.device_id, 6 * 3600)
            }
            devices.append(d)
            users.append((d.user_id, f"bench{i}", f"bench {i}", role, uuid.UUID(d.unit)))
            rows.append((d.device_id, d.user_id, f"bench device {i}"))
        await conn.executemany(
            "INSERT INTO users (id, username, display_name, role, org_unit_id, password_hash,"
            " active, deleted, scope_epoch, created_at, updated_at)"
            " SELECT $1, $2, $3, $4, $5, password_hash, true, false, 0, now(), now()"
            " FROM users WHERE username = 'gw.a1'",
            users,
        )
        await conn.executemany(
            "INSERT INTO devices (id, user_id, name, created_at, last_seq)"
            " VALUES ($1, $2, $3, now(), 0)",
            rows,
        )
        return devices
    finally:
        await conn.close()


async def pull(session: aiohttp.ClientSession, base: str, d: Device, stats: Stats) -> None:
    if d.pulling:
        d.again = True  # a poke during a pull: pull once more after it
        return
    d.pulling = True
    try:
        while True:
            d.again = False
            while True:
                params = {"limit": "500", **({"cursor": d.cursor} if d.cursor else {})}
                started = time.perf_counter()
                try:
                    async with session.get(
                        f"{base}/api/sync/pull", params=params, headers=d.headers
                    ) as response:
                        body = await response.json() if response.status == 200 else None
                        if body is None:
                            stats.fail(f"pull {response.status}")
                            retry = float(response.headers.get("Retry-After", "0") or 0)
                            if retry:  # refused: again after Retry-After, spread (as the PWA)
                                await asyncio.sleep(retry * (1 + random.random()))
                                continue
                            return
                except (aiohttp.ClientError, TimeoutError):
                    stats.fail("pull error")
                    return
                except RuntimeError:  # the session closed: the benchmark is over
                    return
                if stats.recording:
                    stats.pull.append(time.perf_counter() - started)
                d.cursor = body["cursor"]
                if not body["has_more"]:
                    break
            if not d.again:
                return
    finally:
        d.pulling = False


async def listen(
    session: aiohttp.ClientSession, base: str, d: Device, stats: Stats, ready: asyncio.Event
) -> None:
    """Hold the poke stream; reconnect when the server ends it (every 10 minutes) or refuses
    it (503: after its Retry-After, spread, as the PWA does)."""
    failures = 0
    while True:
        try:
            async with session.get(f"{base}/api/sync/events", headers=d.headers) as response:
                if response.status != 200:
                    stats.fail(f"stream {response.status}")
                    failures += 1
                    retry = float(response.headers.get("Retry-After", "2"))
                    await asyncio.sleep(retry * (1 + random.random()) * min(failures, 5))
                    continue
                failures = 0
                async for line in response.content:
                    if line.startswith(b": ready"):
                        ready.set()
                    elif line.startswith(b"event: poke"):
                        stats.pokes += stats.recording
                        asyncio.get_running_loop().create_task(pull(session, base, d, stats))
                    elif line.startswith(b"event: end"):
                        break
        except (aiohttp.ClientError, TimeoutError):
            stats.fail("stream dropped")
            await asyncio.sleep(2 + random.random() * 3)


async def periodic(
    session: aiohttp.ClientSession, base: str, d: Device, stats: Stats, every: float
) -> None:
    """The PWA's safety-net sync while its stream is up (every five minutes): an empty pull,
    mostly, answered from the feed heads."""
    await asyncio.sleep(random.random() * every)
    while True:
        await pull(session, base, d, stats)
        await asyncio.sleep(every)


def report_fields(d: Device) -> tuple[str, dict[str, Any]]:
    if d.role == "volunteer":
        return "reports", {
            "community_id": d.unit,
            "kind": "hazard",
            "title": "楼道堆放杂物",
            "address": "光明街道 1 号",
        }
    return "disputes", {
        "community_id": d.unit,
        "title": "邻里噪音纠纷",
        "risk_level": "blue",
        "channel": "door_to_door",
        "status": "registered",
    }


async def pusher(
    session: aiohttp.ClientSession, base: str, d: Device, stats: Stats, until: float
) -> None:
    while True:
        await asyncio.sleep(random.random() * 60)
        if time.monotonic() > until:
            return
        mutations = []
        for _ in range(random.randint(1, 3)):
            d.seq += 1
            collection, fields = report_fields(d)
            mutations.append(
                {
                    "id": str(uuid.uuid4()),
                    "seq": d.seq,
                    "collection": collection,
                    "record_id": str(uuid.uuid4()),
                    "op": "upsert",
                    "base_version": 0,
                    "hlc": f"{int(time.time() * 1000):013d}-{d.seq % 0xFFFF:04x}-{d.device_id}",
                    "fields": fields,
                }
            )
        started = time.perf_counter()
        try:
            async with session.post(
                f"{base}/api/sync/push",
                json={"schema_version": SCHEMA_VERSION, "mutations": mutations},
                headers=d.headers,
            ) as response:
                body = await response.json() if response.status == 200 else None
                if body is None or any(r["status"] != "applied" for r in body["results"]):
                    stats.fail(f"push {response.status}")
                    if body is None:
                        d.seq -= len(mutations)
                elif stats.recording:
                    stats.push.append(time.perf_counter() - started)
        except (aiohttp.ClientError, TimeoutError):
            stats.fail("push error")
        await asyncio.sleep(max(0.0, 60 - random.random() * 60))


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="1000,5000,10000")
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--staff", type=float, default=0.1, help="share of grid workers")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--periodic", type=float, default=300, help="seconds between a device's safety-net pulls"
    )
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(f"machine: {machine()}; open files {hard}; staff share {args.staff:.0%}", flush=True)
    async with pg_database() as url:
        with data_dir() as d:
            env = doorstep_env(url, d)
            env["DOORSTEP_REDIS_URL"] = REDIS_URL
            server = Server(env, workers=args.workers)
            server.run_cli("seed", "--demo")
            server.start(migrate=False)
            stats = Stats()
            devices: list[Device] = []
            tasks: list[asyncio.Task[Any]] = []
            connector = aiohttp.TCPConnector(limit=0, force_close=False)
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=None)
            try:
                async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                    for target in steps:
                        new = await make_devices(
                            url,
                            env["DOORSTEP_SECRET_KEY"],
                            target - len(devices),
                            args.staff,
                            len(devices),
                        )
                        began = time.monotonic()
                        for batch in range(0, len(new), 50):
                            ready = []
                            for dev in new[batch : batch + 50]:
                                event = asyncio.Event()
                                ready.append(event)
                                tasks.append(
                                    asyncio.create_task(
                                        listen(session, server.url, dev, stats, event)
                                    )
                                )
                            with contextlib.suppress(TimeoutError):
                                await asyncio.wait_for(
                                    asyncio.gather(*(e.wait() for e in ready)), 60
                                )
                            await asyncio.gather(
                                *(
                                    pull(session, server.url, dev, stats)
                                    for dev in new[batch : batch + 50]
                                )
                            )
                        devices += new
                        print(
                            f"{len(devices):>6} devices connected and caught up in"
                            f" {time.monotonic() - began:.1f} s; running {args.minutes} min",
                            flush=True,
                        )
                        tasks += [
                            asyncio.create_task(
                                periodic(session, server.url, dev, stats, args.periodic)
                            )
                            for dev in new
                        ]
                        connect_s = time.monotonic() - began
                        stats.push, stats.pull, stats.pokes, stats.failed = [], [], 0, {}
                        stats.recording = True
                        until = time.monotonic() + args.minutes * 60
                        pushers = [
                            asyncio.create_task(pusher(session, server.url, dev, stats, until))
                            for dev in devices[::PUSHERS]
                        ]
                        load_before = os.getloadavg()[0]
                        await asyncio.sleep(args.minutes * 60)
                        for task in pushers:
                            task.cancel()
                        await asyncio.sleep(2)  # the last pokes' pulls
                        stats.recording = False
                        print(
                            f"{len(devices):>6} devices (connected in {connect_s:5.1f} s):"
                            f" push {len(stats.push):>5} p50 {pct(stats.push, 0.5):7.1f}"
                            f" p99 {pct(stats.push, 0.99):7.1f} ms;"
                            f" pull {len(stats.pull):>6} p50 {pct(stats.pull, 0.5):7.1f}"
                            f" p99 {pct(stats.pull, 0.99):7.1f} ms; pokes {stats.pokes};"
                            f" failed {sum(stats.failed.values())} {stats.failed or ''};"
                            f" load {load_before:.1f} -> {os.getloadavg()[0]:.1f}",
                            flush=True,
                        )
            finally:
                for task in tasks:
                    task.cancel()
                with contextlib.suppress(Exception):
                    await asyncio.gather(*tasks, return_exceptions=True)
                server.stop()
                kept = Path(os.environ.get("TMPDIR", "/tmp")) / "doorstep-devices-server.log"
                kept.write_bytes(server.log_path.read_bytes())
                print(f"server log: {kept}")


if __name__ == "__main__":
    asyncio.run(main())
