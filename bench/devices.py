"""Many open apps on one small box (issue 13, target 2): N simulated devices, each holding the
poke stream (`GET /api/sync/events`) open, 1 in 20 pushing a small batch a minute, every device
pulling when poked; `doorstep serve --workers 2` on PostgreSQL with Redis (db 6).

    .venv/bin/pip install aiohttp   # the load generator: asyncio processes, cheap per socket
    .venv/bin/python bench/devices.py [--devices 40000] [--minutes 2] [--staff 0.1]

The mix follows the seed district: mostly safety volunteers, whose scope is their own reports,
and some community staff (grid workers: their community's records, reports included), spread over
the demo's communities. Users and devices are inserted straight into the database and their access
tokens minted with the server's secret (40,000 password logins would measure argon2, not sync).

Each device behaves as the PWA does with the app open (pwa/src/sync/pokes.ts, scheduler.ts): it
holds the stream, syncs on each `: ready` and each poke (pulling until `has_more` is false),
reconnects 1–3 s after the server ends the stream, and pulls when it has not synced for a
quarter of an hour (the safety net). The devices start *caught up*, as phones that
synced before: one device per (role, community) makes a real first sync, and the others get the
same position in a cursor signed for them (what their own first sync would have returned: a new
user has no records of their own). So the measured window is the steady state, not a morning of
40,000 first syncs (bench/scope_pull.py measures first syncs). To be in the steady state from the
start, each device ends its first stream itself at a random moment of the stream lifetime, as if
it had connected at a random time before (and does not sync when that first stream opens, as it
would have then), and its last sync is put at a random moment of the safety net's quarter of an
hour; from then on the server ends the streams.

Pushers (1 in 20) send 1–3 new reports (volunteers) or disputes (staff) at a random moment of each
minute, then pull (the PWA's sync cycle). The same-run baseline: eight more devices push and pull
40 times, all eight at once, on the same server before any stream is open. Reported: p50/p99
of push and pull, pokes received, stream connections, failed requests (any status other than
200, timeouts, dropped streams), the server's load and memory. The target is p99 < 300 ms and 0 failures at 40,000 devices.

The load generator is several processes (`--per-client` devices each, default 9,000), each from
its own loopback address (127.0.0.11, .12, ...): one process holds one descriptor per stream and
the hard `ulimit -n` here is 20,000, and each source address has ~28,000 ephemeral ports. The
server has the same descriptor limit per worker process, which bounds what 2 workers can hold.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import queue
import random
import resource
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import asyncpg
import msgspec
from harness import Server, data_dir, doorstep_env, machine, pg_database

from server.accounts.security import issue_access_token
from server.replication.cursor import cursor_key, decode_cursor, encode_cursor
from sync.schema import SCHEMA_VERSION

REDIS_URL = os.environ.get("DOORSTEP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
PUSHERS = 20  # one device in 20 pushes a batch a minute
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)
#: the PWA's periodic sync while its poke stream is up (scheduler.ts POKED_INTERVAL_MS)
SAFETY_NET = 15 * 60.0


@dataclass
class DeviceSpec:
    """What a load-generator process needs to play one device (picklable)."""

    user_id: str
    device_id: str
    role: str
    unit: str
    token: str
    cursor: str = ""
    pushes: bool = False


@dataclass
class Stats:
    push: list[float] = field(default_factory=list)
    pull: list[float] = field(default_factory=list)
    pokes: int = 0
    streams: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    recording: bool = False

    def fail(self, what: str) -> None:
        if self.recording:
            self.failed[what] = self.failed.get(what, 0) + 1


class Device:
    def __init__(self, spec: DeviceSpec) -> None:
        self.spec = spec
        self.headers = {"Authorization": f"Bearer {spec.token}"}
        self.cursor = spec.cursor or None
        self.seq = 0
        self.pulling = False
        self.again = False
        #: when this device last synced: the PWA's safety net pulls after SAFETY_NET seconds
        #: without one (at the start, as if the last sync was at a random moment before)
        self.synced_at = time.monotonic() - random.uniform(0, SAFETY_NET)


# -- the devices' behaviour (one load-generator process) ------------------------------------------
async def pull(session: aiohttp.ClientSession, base: str, d: Device, stats: Stats) -> None:
    """One sync's pull: pages until `has_more` is false; a pull asked for during it runs after."""
    if d.pulling:
        d.again = True
        return
    d.pulling = True
    d.synced_at = time.monotonic()
    try:
        while True:
            d.again = False
            while True:
                params = {"limit": "500", **({"cursor": d.cursor} if d.cursor else {})}
                started = time.perf_counter()
                try:
                    async with session.get(
                        f"{base}/api/sync/pull",
                        params=params,
                        headers=d.headers,
                        timeout=REQUEST_TIMEOUT,
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
    session: aiohttp.ClientSession,
    base: str,
    d: Device,
    stats: Stats,
    ready: asyncio.Event,
    first_for: float,
) -> None:
    """Hold the poke stream as the PWA does: sync on `: ready` and on each poke; reconnect 1–3 s
    after the server ends it, or after a spread, growing delay when refused or dropped. The
    first stream is ended here after `first_for` seconds (the steady state: see the module)."""
    failures = 0
    ends_at: float | None = time.monotonic() + first_for
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
                while True:
                    wait = None if ends_at is None else max(0.0, ends_at - time.monotonic())
                    try:
                        line = await asyncio.wait_for(response.content.readline(), wait)
                    except TimeoutError:
                        break  # the device's own first stream ends (see the module)
                    if not line:
                        stats.fail("stream dropped")
                        break
                    if line.startswith(b": ready"):
                        stats.streams += stats.recording
                        if ready.is_set():  # the first stream is an app open for a while
                            asyncio.get_running_loop().create_task(pull(session, base, d, stats))
                        ready.set()
                    elif line.startswith(b"event: poke"):
                        stats.pokes += stats.recording
                        asyncio.get_running_loop().create_task(pull(session, base, d, stats))
                    elif line.startswith(b"event: end"):
                        break
            ends_at = None
            await asyncio.sleep(1 + 2 * random.random())
        except (aiohttp.ClientError, TimeoutError):
            stats.fail("stream error")
            failures += 1
            await asyncio.sleep(2 * min(failures, 5) * (1 + random.random()))


async def safety_net(session: aiohttp.ClientSession, base: str, d: Device, stats: Stats) -> None:
    """The PWA's timer: a pull when the device has not synced for a quarter of an hour."""
    while True:
        await asyncio.sleep(max(1.0, d.synced_at + SAFETY_NET - time.monotonic()))
        if time.monotonic() - d.synced_at >= SAFETY_NET:
            await pull(session, base, d, stats)


def new_records(d: Device) -> tuple[str, dict[str, Any]]:
    if d.spec.role == "volunteer":
        return "reports", {
            "community_id": d.spec.unit,
            "kind": "hazard",
            "title": "楼道堆放杂物",
            "address": "光明街道 1 号",
        }
    return "disputes", {
        "community_id": d.spec.unit,
        "title": "邻里噪音纠纷",
        "risk_level": "blue",
        "channel": "door_to_door",
        "status": "registered",
    }


async def pusher(
    session: aiohttp.ClientSession, base: str, d: Device, stats: Stats, stop: asyncio.Event
) -> None:
    """Once a minute at a random moment: push 1–3 new records, then pull (the sync cycle)."""
    while True:
        await asyncio.sleep(random.random() * 60)
        if stop.is_set():
            return
        await push_now(session, base, d, stats)
        await pull(session, base, d, stats)
        await asyncio.sleep(max(0.0, 60 - random.random() * 60))


async def push_now(session: aiohttp.ClientSession, base: str, d: Device, stats: Stats) -> None:
    """One push of 1–3 new records (reports for volunteers, disputes for staff)."""
    mutations = []
    for _ in range(random.randint(1, 3)):
        d.seq += 1
        collection, fields = new_records(d)
        mutations.append(
            {
                "id": str(uuid.uuid4()),
                "seq": d.seq,
                "collection": collection,
                "record_id": str(uuid.uuid4()),
                "op": "upsert",
                "base_version": 0,
                "hlc": f"{int(time.time() * 1000):013d}-{d.seq % 0xFFFF:04x}-{d.spec.device_id}",
                "fields": fields,
            }
        )
    started = time.perf_counter()
    try:
        async with session.post(
            f"{base}/api/sync/push",
            json={"schema_version": SCHEMA_VERSION, "mutations": mutations},
            headers=d.headers,
            timeout=REQUEST_TIMEOUT,
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


async def until_set(event: Any) -> None:
    """Wait for a multiprocessing Event (set by another process) without blocking the loop."""
    await asyncio.to_thread(event.wait)


@dataclass
class Share:
    """One load-generator process's devices and how it plays them (picklable)."""

    specs: list[DeviceSpec]
    base: str
    #: the loopback address its connections come from (each has its own ephemeral ports)
    source: str
    #: new streams a second from this process
    connect_rate: float
    #: the server's stream lifetime: each device ends its first stream within it
    lifetime: float


async def play(share: Share, control: dict[str, Any], results: Any) -> None:
    stats = Stats()
    base = share.base
    devices = [Device(spec) for spec in share.specs]
    connector = aiohttp.TCPConnector(limit=0, local_addr=(share.source, 0))
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=None)
    tasks: list[asyncio.Task[Any]] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        began = time.monotonic()
        ready = [asyncio.Event() for _ in devices]
        for i, d in enumerate(devices):
            tasks.append(
                asyncio.create_task(
                    listen(session, base, d, stats, ready[i], random.uniform(0, share.lifetime))
                )
            )
            tasks.append(asyncio.create_task(safety_net(session, base, d, stats)))
            await asyncio.sleep(1 / share.connect_rate)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready)), 300)
        results.put(("connected", sum(e.is_set() for e in ready), time.monotonic() - began))
        await until_set(control["record"])
        stats.recording = True
        stop = asyncio.Event()
        tasks += [
            asyncio.create_task(pusher(session, base, d, stats, stop))
            for d in devices
            if d.spec.pushes
        ]
        await until_set(control["stop"])
        stop.set()
        await asyncio.sleep(2)  # the last pokes' pulls
        stats.recording = False
        results.put(
            ("stats", stats.push, stats.pull, stats.pokes, stats.streams, dict(stats.failed))
        )
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def most_open_files() -> int:
    """Raise this process's descriptor limit to the hard one (one descriptor per stream)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def client_process(share: Share, control: dict[str, Any], results: Any) -> None:
    most_open_files()
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    asyncio.run(play(share, control, results))


# -- setting up the district (the main process) ---------------------------------------------------
async def make_devices(
    url: str, secret: str, count: int, staff_share: float, name: str = "bench"
) -> list[DeviceSpec]:
    """`count` users with one device each, inserted in the database; tokens minted."""
    conn = await asyncpg.connect(url)
    try:
        communities = [
            str(r["id"])
            for r in await conn.fetch("SELECT id FROM org_units WHERE kind = 'community'")
        ]
        specs, users, rows = [], [], []
        for i in range(count):
            role = "grid_worker" if random.random() < staff_share else "volunteer"
            user, device = uuid.uuid4(), uuid.uuid4()
            unit = random.choice(communities)
            token = issue_access_token(secret, user, device, 6 * 3600)
            specs.append(
                DeviceSpec(str(user), str(device), role, unit, token, pushes=i % PUSHERS == 0)
            )
            users.append((user, f"{name}{i}", f"{name} {i}", role, uuid.UUID(unit)))
            rows.append((device, user, f"{name} device {i}"))
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
        return specs
    finally:
        await conn.close()


async def first_sync(session: aiohttp.ClientSession, base: str, spec: DeviceSpec) -> str:
    cursor = None
    while True:
        params = {"limit": "1000", **({"cursor": cursor} if cursor else {})}
        headers = {"Authorization": f"Bearer {spec.token}"}
        async with session.get(f"{base}/api/sync/pull", params=params, headers=headers) as r:
            r.raise_for_status()
            body = await r.json()
        cursor = body["cursor"]
        if not body["has_more"]:
            return str(cursor)


async def catch_up(base: str, secret: str, specs: list[DeviceSpec]) -> None:
    """One real first sync per (role, community); the others get its position, signed for them."""
    key = cursor_key(secret)
    templates: dict[tuple[str, str], DeviceSpec] = {}
    for spec in specs:
        templates.setdefault((spec.role, spec.unit), spec)
    async with aiohttp.ClientSession() as session:
        gate = asyncio.Semaphore(4)

        async def one(spec: DeviceSpec) -> None:
            async with gate:
                spec.cursor = await first_sync(session, base, spec)

        await asyncio.gather(*(one(s) for s in templates.values()))
    for spec in specs:
        template = templates[(spec.role, spec.unit)]
        if spec is template:
            continue
        position = decode_cursor(key, template.cursor, template.user_id)
        spec.cursor = encode_cursor(key, msgspec.structs.replace(position, user=spec.user_id))


async def idle_baseline(base: str, specs: list[DeviceSpec], rounds: int) -> Stats:
    """The same requests on the same server before any stream is open: a few devices pushing a
    batch and pulling, all at once (the same-run baseline the figures are compared to)."""
    stats = Stats(recording=True)
    devices = [Device(spec) for spec in specs]
    async with aiohttp.ClientSession() as session:
        for _ in range(rounds):
            await asyncio.gather(*(push_now(session, base, d, stats) for d in devices))
            await asyncio.gather(*(pull(session, base, d, stats) for d in devices))
    return stats


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def server_memory_mb(server: Server) -> float:
    """Resident memory of the server's process group (master and workers)."""
    if server.proc is None:
        return 0.0
    out = subprocess.run(
        ["ps", "-o", "rss=", "-g", str(server.proc.pid)], capture_output=True, text=True
    ).stdout
    return sum(int(x) for x in out.split()) / 1024


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=40_000)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--staff", type=float, default=0.1, help="share of grid workers")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--per-client", type=int, default=9_000, help="devices per process")
    parser.add_argument(
        "--connect-rate", type=float, default=300, help="new streams a second, all processes"
    )
    parser.add_argument(
        "--lifetime", type=int, default=1800, help="DOORSTEP_EVENT_STREAM_SECONDS for the server"
    )
    args = parser.parse_args()
    hard = most_open_files()
    clients = -(-args.devices // args.per_client)
    print(
        f"machine: {machine()}; open files {hard} per process; {args.devices} devices, staff share"
        f" {args.staff:.0%}, {clients} load-generator processes",
        flush=True,
    )
    async with pg_database() as url:
        with data_dir() as d:
            env = doorstep_env(url, d)
            env["DOORSTEP_REDIS_URL"] = REDIS_URL
            env["DOORSTEP_EVENT_STREAM_SECONDS"] = str(args.lifetime)
            server = Server(env, workers=args.workers)
            server.run_cli("seed", "--demo")
            server.start(migrate=False)
            secret = env["DOORSTEP_SECRET_KEY"]
            ctx = mp.get_context("spawn")
            control = {"record": ctx.Event(), "stop": ctx.Event()}
            results = ctx.Queue()
            procs: list[Any] = []
            try:
                began = time.monotonic()
                specs = await make_devices(url, secret, args.devices, args.staff)
                await catch_up(server.url, secret, specs)
                print(f"devices made and caught up in {time.monotonic() - began:.1f} s", flush=True)
                probes = await make_devices(url, secret, 8, args.staff, "probe")
                await catch_up(server.url, secret, probes)
                idle = await idle_baseline(server.url, probes, 40)
                print(
                    f"baseline, the same requests before any stream is open:"
                    f" push {len(idle.push)} p50 {pct(idle.push, 0.5):.1f}"
                    f" p99 {pct(idle.push, 0.99):.1f} ms;"
                    f" pull {len(idle.pull)} p50 {pct(idle.pull, 0.5):.1f}"
                    f" p99 {pct(idle.pull, 0.99):.1f} ms; failed {sum(idle.failed.values())}",
                    flush=True,
                )
                began = time.monotonic()
                for k in range(clients):
                    part = specs[k * args.per_client : (k + 1) * args.per_client]
                    proc = ctx.Process(
                        target=client_process,
                        args=(
                            Share(
                                part,
                                server.url,
                                f"127.0.0.{11 + k}",
                                args.connect_rate / clients,
                                float(args.lifetime),
                            ),
                            control,
                            results,
                        ),
                    )
                    proc.start()
                    procs.append(proc)
                connected = [results.get() for _ in procs]
                ready = sum(c[1] for c in connected)
                print(
                    f"{ready} of {args.devices} streams ready in {time.monotonic() - began:.1f} s;"
                    f" server memory {server_memory_mb(server):.0f} MB",
                    flush=True,
                )
                await asyncio.sleep(5)
                load_before = os.getloadavg()[0]
                control["record"].set()
                await asyncio.sleep(args.minutes * 60)
                control["stop"].set()
                stats = Stats()
                for _ in procs:
                    _tag, push, pulls, pokes, streams, failed = results.get(timeout=120)
                    stats.push += push
                    stats.pull += pulls
                    stats.pokes += pokes
                    stats.streams += streams
                    for what, n in failed.items():
                        stats.failed[what] = stats.failed.get(what, 0) + n
                print(
                    f"{args.devices:>6} devices, {args.minutes} min:"
                    f" push {len(stats.push)} p50 {pct(stats.push, 0.5):.1f}"
                    f" p99 {pct(stats.push, 0.99):.1f} ms;"
                    f" pull {len(stats.pull)} p50 {pct(stats.pull, 0.5):.1f}"
                    f" p99 {pct(stats.pull, 0.99):.1f} ms; pokes {stats.pokes};"
                    f" streams (re)opened {stats.streams};"
                    f" failed {sum(stats.failed.values())} {stats.failed or ''};"
                    f" load {load_before:.1f} -> {os.getloadavg()[0]:.1f};"
                    f" server memory {server_memory_mb(server):.0f} MB",
                    flush=True,
                )
                print(
                    f"p99 against the idle baseline: push"
                    f" {pct(stats.push, 0.99) / max(pct(idle.push, 0.99), 1e-9):.1f}x,"
                    f" pull {pct(stats.pull, 0.99) / max(pct(idle.pull, 0.99), 1e-9):.1f}x"
                    f" (target: p99 < 300 ms and 0 failed)",
                    flush=True,
                )
            finally:
                control["stop"].set()
                for proc in procs:
                    proc.join(30)
                    if proc.is_alive():
                        proc.terminate()
                with contextlib.suppress(queue.Empty, OSError, ValueError):
                    while True:
                        results.get_nowait()
                server.stop()
                kept = Path(os.environ.get("TMPDIR", "/tmp")) / "doorstep-devices-server.log"
                kept.write_bytes(server.log_path.read_bytes())
                print(f"server log: {kept}")


if __name__ == "__main__":
    asyncio.run(main())
