"""Live updates across app servers: how long after a push commits on one `doorstep serve` does
its warning arrive on a command stream held open on another (both on PostgreSQL and Redis)?

    .venv/bin/python bench/live_events.py [--rounds 50]

Each round a grid worker pushes a red dispute to server one (the warning is written in the same
transaction); a street admin's `/api/command/events` stream on server two waits for the
warning.  Printed: the median and 95th percentile of push sent → warning received, and of push
answered → warning received (the contract: within 2 s of the commit), beside a baseline measured
in the same run: a raw Redis PUBLISH → message round trip between two connections.  Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from harness import Server, data_dir, doorstep_env, login, machine, pg_database
from redis.asyncio import Redis

REDIS_URL = "redis://127.0.0.1:6379/10"
COMMUNITY_A = str(uuid.uuid5(uuid.UUID("6f1c2a53-4d3e-5b7a-9c1d-2e8f0a4b6c7d"), "GM.GUANGMING.C01"))
STREET_A = str(uuid.uuid5(uuid.UUID("6f1c2a53-4d3e-5b7a-9c1d-2e8f0a4b6c7d"), "GM.GUANGMING"))


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def redis_baseline(rounds: int) -> list[float]:
    publisher, listener = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    pubsub = listener.pubsub()
    await pubsub.subscribe("doorstep-bench-baseline")
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    out = []
    try:
        for i in range(rounds):
            started = time.perf_counter()
            await publisher.publish("doorstep-bench-baseline", str(i))
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                if message is not None:
                    break
            out.append(time.perf_counter() - started)
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await publisher.aclose()
        await listener.aclose()
    return out


async def events(response: httpx.Response) -> Any:
    """The stream's messages as (event, data) pairs, comments included as ("comment", text)."""
    event, data = "message", None
    async for line in response.aiter_lines():
        if line == "":
            if data is not None:
                yield event, data
            event, data = "message", None
        elif line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()


async def measure(one: Server, two: Server, rounds: int) -> tuple[list[float], list[float]]:
    from_push, from_answer = [], []
    async with (
        httpx.AsyncClient(base_url=one.url, timeout=30) as c1,
        httpx.AsyncClient(base_url=two.url, timeout=httpx.Timeout(30, read=None)) as c2,
    ):
        gw = await login(c1, "gw.a1")
        street = await login(c2, "street.a")
        device_seq = 0
        async with c2.stream(
            "GET",
            "/api/command/events",
            params={"org_unit_id": STREET_A},
            headers={"Authorization": f"Bearer {street['access_token']}"},
        ) as stream:
            messages = events(stream)
            kind, _ = await anext(messages)
            assert kind == "comment", kind  # ": ready"
            for _ in range(rounds):
                device_seq += 1
                dispute = str(uuid.uuid4())
                now = datetime.now(UTC)
                mutation = {
                    "id": str(uuid.uuid4()),
                    "seq": device_seq,
                    "collection": "disputes",
                    "record_id": dispute,
                    "op": "upsert",
                    "base_version": 0,
                    "hlc": f"{int(now.timestamp() * 1000):013d}-0000-{gw['device_id']}",
                    "fields": {
                        "community_id": COMMUNITY_A,
                        "title": "基准测试纠纷",
                        "risk_level": "red",
                        "channel": "door_to_door",
                        "status": "registered",
                    },
                }
                started = time.perf_counter()
                response = await c1.post(
                    "/api/sync/push",
                    json={"schema_version": 1, "mutations": [mutation]},
                    headers={"Authorization": f"Bearer {gw['access_token']}"},
                )
                answered = time.perf_counter()
                result = response.json()["results"][0]
                assert result["status"] == "applied", result
                while True:
                    kind, data = await asyncio.wait_for(anext(messages), 10)
                    if kind == "message" and json.loads(data)["collection"] == "warnings":
                        break
                received = time.perf_counter()
                from_push.append(received - started)
                from_answer.append(received - answered)
    return from_push, from_answer


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    async with pg_database() as url:
        with data_dir() as d1, data_dir() as d2:
            env1 = {**doorstep_env(url, d1), "DOORSTEP_REDIS_URL": REDIS_URL}
            env2 = {**doorstep_env(url, d2), "DOORSTEP_REDIS_URL": REDIS_URL}
            env2["DOORSTEP_SECRET_KEY"] = env1["DOORSTEP_SECRET_KEY"]
            one, two = Server(env1, workers=1), Server(env2, workers=1)
            try:
                one.start(migrate=True)
                one.run_cli("seed", "--demo")
                two.start(migrate=False)
                from_push, from_answer = await measure(one, two, args.rounds)
            finally:
                one.stop()
                two.stop()
    baseline = await redis_baseline(args.rounds)
    base = statistics.median(baseline)
    ms = 1000
    print(f"rounds: {args.rounds}")
    print(
        f"push sent -> warning on the other server: median {statistics.median(from_push) * ms:.1f} ms,"
        f" p95 {quantile(from_push, 0.95) * ms:.1f} ms"
    )
    print(
        f"push answered -> warning on the other server: median "
        f"{statistics.median(from_answer) * ms:.1f} ms, p95 {quantile(from_answer, 0.95) * ms:.1f} ms"
        " (contract: <= 2000 ms after commit)"
    )
    print(
        f"baseline, raw Redis PUBLISH -> message: median {base * ms:.2f} ms; "
        f"ratio (answer -> warning / baseline): {statistics.median(from_answer) / base:.1f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())
