"""Push fan-out benchmark: one red warning to N subscriptions through Celery on Redis.

    .venv/bin/python bench/push_fanout.py [--subscriptions 10000] [--database-url URL]
                                          [--redis-url redis://127.0.0.1:6379/10] [--concurrency C]

Everything runs on loopback: the local push service (tests/server/notify/pushservice.py, as its
own process) verifies VAPID and decrypts every message like a browser would. In one run:

1. baseline: a bare asyncio loop of pywebpush's `webpush_async` with one shared aiohttp session
   (what the library offers at its fastest), all N messages;
2. Doorstep: `enqueue_push` of one warning to N users in one transaction, `kick`, real
   `celery worker` processes deliver; measured until the last message is decrypted;
3. latency with an idle worker: single warnings one after another, enqueue -> decrypted.

Prints both rates, their ratio, the time to the last decrypted message and the latency p50.
Stops by itself (a global deadline); the Redis database given is flushed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.process_group import stop_group  # noqa: E402 - after the repo is on the path


def control(port: int, action: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_control/{action}",
        data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def wait_delivered(port: int, count: int, deadline: float) -> dict[str, Any]:
    while True:
        stats = control(port, "stats")
        if stats["delivered"] >= count:
            return dict(stats)
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {stats['delivered']}/{count} delivered")
        time.sleep(0.02)


def warning(n: int | str) -> dict[str, str]:
    return {
        "type": "warning",
        "title": "红色预警 Red warning",
        "body": "A dispute in your community was raised to red",
        "url": f"/#/warnings/{n}",
        "id": str(n),
    }


async def baseline(subs: list[dict[str, Any]], private_key: str, concurrency: int) -> float:
    """A bare asyncio loop of webpush_async over one shared session; returns elapsed seconds."""
    import aiohttp
    from pywebpush import webpush_async

    connector = aiohttp.TCPConnector(limit=concurrency)
    sem = asyncio.Semaphore(concurrency)
    data = json.dumps(warning("baseline"), ensure_ascii=False)
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(sub: dict[str, Any]) -> None:
            async with sem:
                await webpush_async(
                    sub,
                    data=data,
                    vapid_private_key=private_key,
                    vapid_claims={"sub": "mailto:bench@doorstep.invalid"},
                    ttl=3600,
                    headers={"Urgency": "high"},
                    timeout=10,
                    aiohttp_session=session,
                )

        await asyncio.gather(*(one(s) for s in subs))
    return time.perf_counter() - started


def _timeout(*_: object) -> None:
    raise SystemExit("bench: timed out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", "-n", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--baseline-concurrency", type=int, default=64)
    parser.add_argument("--latency-samples", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this long")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    # Stop by ourselves whatever happens.
    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(int(args.timeout) + 30)

    tmp = Path(tempfile.mkdtemp(prefix="doorstep-bench-"))
    os.environ["DOORSTEP_DATA_DIR"] = str(tmp)
    os.environ["DOORSTEP_DATABASE_URL"] = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DOORSTEP_REDIS_URL"] = args.redis_url
    os.environ["DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS"] = "1"
    os.environ["DOORSTEP_VAPID_SUBJECT"] = "mailto:bench@doorstep.invalid"
    from server.notify.vapid import generate_private_key

    private_key = generate_private_key()
    os.environ["DOORSTEP_VAPID_PRIVATE_KEY"] = private_key
    os.environ["PYTHONPATH"] = str(REPO)

    import redis

    broker = redis.Redis.from_url(args.redis_url)
    broker.flushdb()
    receiver = subprocess.Popen(
        [sys.executable, "-m", "tests.server.notify.pushservice"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    worker: subprocess.Popen[bytes] | None = None
    try:
        assert receiver.stdout is not None
        port = int(json.loads(receiver.stdout.readline())["port"])
        from server.notify.vapid import application_server_key

        control(port, "key", {"key": application_server_key()})
        n = args.subscriptions
        subs: list[dict[str, Any]] = control(port, "register", {"count": n})
        print(f"{n} subscriptions on the local push service (port {port}); {os.cpu_count()} CPUs")

        # 1. Baseline ---------------------------------------------------------------------
        control(port, "reset")
        base_elapsed = asyncio.run(baseline(subs, private_key, args.baseline_concurrency))
        base_stats = wait_delivered(port, n, deadline)
        base_rate = n / base_elapsed
        print(f"baseline webpush_async x1 session: {base_elapsed:6.2f} s  {base_rate:8.0f} msg/s")

        # 2. Doorstep through Celery on Redis ---------------------------------------------
        asyncio.run(prepare_database(subs))
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "server.worker", "worker", "--pool", "prefork",
             "--concurrency", str(args.concurrency), "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel", "WARNING",
             "--hostname", f"bench-{uuid.uuid4().hex[:6]}@%h"],
            cwd=REPO, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        warm_up(port, deadline)
        control(port, "reset")
        started_wall = time.time()
        started = time.perf_counter()
        enqueue_elapsed = asyncio.run(raise_warning("fanout"))
        stats = wait_delivered(port, n, deadline)
        elapsed = stats["last_at"] - started_wall
        rate = n / elapsed
        print(
            f"doorstep celery x{args.concurrency} workers:   {elapsed:6.2f} s  {rate:8.0f} msg/s"
            f"  (enqueue + kick {enqueue_elapsed * 1000:.0f} ms;"
            f" last message decrypted {elapsed:.2f} s after the warning)"
        )
        del started, base_stats
        print(f"ratio doorstep / baseline: {rate / base_rate:.2f}")

        # 3. Latency with an idle worker ----------------------------------------------------
        latencies = asyncio.run(latency(port, subs[0], args.latency_samples, deadline))
        p50 = statistics.median(latencies)
        p95 = sorted(latencies)[int(0.95 * (len(latencies) - 1))]
        print(
            f"latency enqueue -> decrypted (idle worker, {len(latencies)} samples):"
            f" p50 {p50 * 1000:.0f} ms  p95 {p95 * 1000:.0f} ms"
        )
    finally:
        if worker is not None and worker.poll() is None:
            stop_group(worker, grace=15)
        if receiver.poll() is None:
            receiver.terminate()
            receiver.wait(10)
        broker.flushdb()
        shutil.rmtree(tmp, ignore_errors=True)


async def prepare_database(subs: list[dict[str, Any]]) -> None:
    """Migrate the notify tables and store one subscribed device per user."""
    import contextlib
    import io

    from piccolo.apps.migrations.commands.forwards import run_forwards

    from server.notify.delivery import transaction, utcnow
    from server.notify.tables import PushSubscription as S

    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards("notify")
    assert result.success, result.message
    await S.delete(force=True)
    now = utcnow()
    rows = [
        S(
            device_id=uuid.uuid4(),
            user_id=uuid.uuid4(),
            endpoint=s["endpoint"],
            p256dh=s["keys"]["p256dh"],
            auth=s["keys"]["auth"],
            created_at=now,
        )
        for s in subs
    ]
    async with transaction():
        for start in range(0, len(rows), 500):
            await S.insert(*rows[start : start + 500])


async def raise_warning(name: str, user_ids: list[uuid.UUID] | None = None) -> float:
    """What a domain service does for a red warning: outbox rows in its transaction, then kick."""
    from server.notify.delivery import transaction
    from server.notify.services import enqueue_push, kick, make_topic
    from server.notify.tables import PushSubscription as S

    started = time.perf_counter()
    if user_ids is None:
        user_ids = [r["user_id"] for r in await S.select(S.user_id)]
    async with transaction():
        ids = await enqueue_push(
            user_ids, warning(name), ttl=4 * 3600, urgency="high", topic=make_topic("warning", name)
        )
    kick(ids)
    return time.perf_counter() - started


def warm_up(port: int, deadline: float) -> None:
    """Wait for the worker to be up (one message to one device)."""
    from server.notify.tables import PushSubscription as S

    async def first_user() -> uuid.UUID:
        row = await S.select(S.user_id).first()
        assert row is not None
        return row["user_id"]  # type: ignore[no-any-return]

    control(port, "reset")
    asyncio.run(raise_warning("warm-up", [asyncio.run(first_user())]))
    wait_delivered(port, 1, deadline)


async def latency(port: int, sub: dict[str, Any], samples: int, deadline: float) -> list[float]:
    from server.notify.tables import PushSubscription as S

    row = await S.select(S.user_id).where(S.endpoint == sub["endpoint"]).first()
    assert row is not None
    out = []
    for i in range(samples):
        control(port, "reset")
        await asyncio.sleep(0.05)  # the worker is idle
        sent_at = time.time()
        await raise_warning(f"latency-{i}", [row["user_id"]])
        stats = await asyncio.to_thread(wait_delivered, port, 1, deadline)
        out.append(stats["last_at"] - sent_at)
    return out


if __name__ == "__main__":
    main()
