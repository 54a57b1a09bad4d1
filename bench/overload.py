"""Graceful overload (issue 13): at twice the sustainable load the server answers every excess
request at once with 503 + Retry-After, and keeps its throughput.

    .venv/bin/python bench/overload.py [--rates 100,200,...] [--seconds 5] [--in-flight 24]
        [--clients 2] [--modes proxy,direct]

Two `doorstep serve` replicas (`--replicas`, each `--workers 1`, as docker-compose.yml runs
them) on PostgreSQL, devices doing what an open app does most: an incremental pull from a
caught-up cursor.  Two ways in, measured in the same run against the same servers: `proxy`,
through nginx running the deployed server/deploy/nginx.conf (its upstream pointed at the
replicas; tests/nginx.py; `apt-get install -y nginx`), whose bound on requests in flight answers
the excess with 503 before Python sees it; and `direct`, the clients alternating between the
replicas themselves, where only the app's own bound (server/http/overload.py) can refuse.
Replicas rather than one `--workers 2`: behind one upstream address nginx's few long-lived
connections land unevenly on uvicorn's workers (one measured doing 4x the other's work), which
the production shape does not have.

The load generator is open loop (requests leave at a fixed rate whatever the answers, so an
overloaded server cannot slow its clients down the way a closed loop would), aiohttp on uvloop
in `--clients` processes whose results are merged, at nice -10 when run as root (ahead of the
servers, standing in for clients on machines of their own).  Latencies count from the moment a
request was *due*, so a generator that falls behind shows up in them rather than hiding (its
lag, due to sent, is printed too, and the 503s' p99 from when they were sent).  First a ramp
over `--rates`: the *sustainable* rate is the highest one answered with no error, fewer than
1 % refused and p99 < 300 ms; the *peak* is the best throughput of answered (200) pulls.  Then
twice the sustainable rate for `2 × --seconds`: throughput of 200s against the peak (target
≥ 90 %), p99 latency of the 503s (target < 100 ms), whether each 503 carried Retry-After, and
failures (anything not 200/503: timeouts, connection errors, other statuses: target 0).
Throughput is answered pulls over the time from the first request due to the last answer.  When
twice the sustainable rate is below the peak nothing was overloaded: the run is inconclusive.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections import Counter
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import httpx
from harness import Server, caught_up, data_dir, doorstep_env, machine, pg_database
from yarl import URL

from tests.nginx import NGINX, deployed_bound
from tests.nginx import running as nginx_running

USERS = ["gw.a1", "gw.a2", "gw.b1", "admin.a", "admin.b", "lawyer.a", "street.a", "district"]
TIMEOUT = 30.0
#: connections per load-generator process (beyond it requests wait in the client's pool, which
#: counts in their latency since latencies start when a request is due)
CONNECTIONS = 1000
#: a rate is sustainable with fewer refusals than this share: a bound on requests in flight
#: refuses the odd request of a burst (a stall of the box) even well below saturation, and the
#: PWA retries it after Retry-After
SUSTAINABLE_SHED = 0.01
#: the load generator's niceness (negative: ahead of the servers; needs root, else it stays 0)
CLIENT_NICE = -10

Fleet = list[tuple[dict[str, str], str]]
#: one request: status (-1: no answer), seconds from the start it was due, seconds from due to
#: answer, seconds from due to sent (the generator's lag), whether a Retry-After came with it
Result = tuple[int, float, float, float, bool]


async def devices(client: httpx.AsyncClient, count: int) -> Fleet:
    return [await caught_up(client, USERS[i % len(USERS)]) for i in range(count)]


# --- the load generator: one of these per client process ------------------------------------

_sessions: list[aiohttp.ClientSession] = []


def client_process(jobs: Connection) -> None:
    """Offer what each job asks for, answer its results; the same event loop and connections
    from job to job, closed when the job is None."""
    # Ahead of the servers on the shared cores (when allowed: root), standing in for clients on
    # machines of their own: otherwise a saturated server starves the generator and its lag,
    # sending and reading, lands in every latency measured.
    with contextlib.suppress(OSError):
        os.nice(CLIENT_NICE)
    loop: asyncio.AbstractEventLoop
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:  # pragma: no cover - uvloop comes with the server's dependencies
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    jobs.send(os.nice(0))
    while (job := jobs.recv()) is not None:
        jobs.send(loop.run_until_complete(_offer(*job)))
    for session in _sessions:
        loop.run_until_complete(session.close())
    loop.close()


class Clients:
    """`count` load-generator processes; `offer` splits a rate among them (each sends every
    count-th request) and merges what they measured."""

    def __init__(self, count: int) -> None:
        context = get_context("spawn")
        self.pipes: list[Connection] = []
        self.procs = []
        for _ in range(count):
            ours, theirs = context.Pipe()
            proc = context.Process(target=client_process, args=(theirs,), daemon=True)
            proc.start()
            self.pipes.append(ours)
            self.procs.append(proc)
        #: the niceness the client processes got (CLIENT_NICE if allowed)
        self.nice = max(pipe.recv() for pipe in self.pipes)

    async def offer(
        self, bases: list[str], fleet: Fleet, rate: int, seconds: float
    ) -> list[Result]:
        start = time.monotonic() + 0.5  # every process has its job by then
        for k, pipe in enumerate(self.pipes):
            pipe.send((bases, fleet, rate, seconds, start, k, len(self.pipes)))
        loop = asyncio.get_running_loop()
        shares = await asyncio.gather(
            *(loop.run_in_executor(None, pipe.recv) for pipe in self.pipes)
        )
        return [r for share in shares for r in share]

    def close(self) -> None:
        for pipe, proc in zip(self.pipes, self.procs, strict=True):
            with contextlib.suppress(OSError):
                pipe.send(None)
            proc.join(10)
            if proc.is_alive():
                proc.kill()


async def _offer(
    bases: list[str],
    fleet: Fleet,
    rate: float,
    seconds: float,
    start: float,
    shard: int,
    shards: int,
) -> list[Result]:
    """Request i goes to bases[i % len(bases)] (the direct way in to several replicas: the
    clients spread the load as the proxy would), as device i % len(fleet)."""
    if not _sessions:
        _sessions.append(
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=CONNECTIONS, limit_per_host=CONNECTIONS),
                timeout=aiohttp.ClientTimeout(total=TIMEOUT),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
            )
        )
    session = _sessions[0]
    pulls = [
        [URL(f"{base}/api/sync/pull").with_query(cursor=cursor) for _, cursor in fleet]
        for base in bases
    ]
    results: list[Result] = []

    async def one(i: int, due: float) -> None:
        lag = time.monotonic() - due
        try:
            url = pulls[i % len(bases)][i % len(fleet)]
            async with session.get(url, headers=fleet[i % len(fleet)][0]) as r:
                await r.read()
                status, retry = r.status, "Retry-After" in r.headers
        except (aiohttp.ClientError, TimeoutError):
            status, retry = -1, False
        results.append((status, due - start, time.monotonic() - due, lag, retry))

    tasks = []
    for i in range(shard, int(rate * seconds), shards):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    return results


# --- the run --------------------------------------------------------------------------------


def p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.99))] * 1000 if values else 0.0


async def run_rate(
    clients: Clients, bases: list[str], fleet: Fleet, rate: int, seconds: float
) -> dict[str, Any]:
    results = await clients.offer(bases, fleet, rate, seconds)
    elapsed = max(due + took for _, due, took, _, _ in results)
    ok = sorted(took for status, _, took, _, _ in results if status == 200)
    shed = sorted(took for status, _, took, _, _ in results if status == 503)
    failed = Counter(status for status, *_ in results if status not in (200, 503))
    return {
        "rate": rate,
        "sent": len(results),
        "ok_per_s": len(ok) / elapsed,
        "ok_p50": statistics.median(ok) * 1000 if ok else 0.0,
        "ok_p99": p99(ok),
        "shed": len(shed),
        "shed_p99": p99(shed),
        # the same from when each was sent: what the generator's own lag adds is the difference
        "shed_p99_sent": p99(
            sorted(took - lag for status, _, took, lag, _ in results if status == 503)
        ),
        "shed_without_retry_after": sum(
            1 for status, *_, retry in results if status == 503 and not retry
        ),
        "failed": sum(failed.values()),
        "failed_by_status": dict(failed),
        "lag_p99": p99(sorted(lag for *_, lag, _ in results)),
    }


def line(r: dict[str, Any]) -> str:
    failed = f"failed {r['failed']}" + (f" {r['failed_by_status']}" if r["failed"] else "")
    return (
        f"rate {r['rate']:>5}/s: answered {r['ok_per_s']:7.1f}/s (p50 {r['ok_p50']:7.1f} ms,"
        f" p99 {r['ok_p99']:8.1f} ms), 503s {r['shed']:>5} (p99 {r['shed_p99']:6.1f} ms,"
        f" from sent {r['shed_p99_sent']:6.1f} ms,"
        f" {r['shed_without_retry_after']} without Retry-After), {failed};"
        f" client lag p99 {r['lag_p99']:.1f} ms"
    )


async def settle(bases: list[str]) -> None:
    """Wait (at most a minute) until the servers have nothing in progress: an earlier overload
    can leave them working through requests whose clients gave up."""
    deadline = time.monotonic() + 60
    quiet = 0
    async with httpx.AsyncClient(timeout=5) as client:
        while time.monotonic() < deadline and quiet < 5:
            busy = 0
            for base in bases:
                try:
                    busy += (await client.get(f"{base}/health/live")).json()["load"]["in_flight"]
                except httpx.HTTPError:
                    busy += 1
            quiet = 0 if busy else quiet + 1
            await asyncio.sleep(0.2)


async def measure(
    clients: Clients, args: argparse.Namespace, bases: list[str], fleet: Fleet, title: str
) -> dict[str, Any]:
    rates = [int(r) for r in args.rates.split(",")]
    print(f"== {title}", flush=True)
    await run_rate(clients, bases, fleet, rates[0], 1)  # warm-up: connections
    ramp = []
    for rate in rates:
        ramp.append(await run_rate(clients, bases, fleet, rate, args.seconds))
        print(line(ramp[-1]), flush=True)
    fine = [
        r
        for r in ramp
        if r["failed"] == 0 and r["ok_p99"] < 300 and r["shed"] < SUSTAINABLE_SHED * r["sent"]
    ]
    sustainable = max((r["rate"] for r in fine), default=rates[0])
    peak = max(r["ok_per_s"] for r in ramp)
    over = await run_rate(clients, bases, fleet, 2 * sustainable, 2 * args.seconds)
    ratio = over["ok_per_s"] / peak
    print(
        f"sustainable {sustainable}/s (no error, < {SUSTAINABLE_SHED:.0%} refused, p99 < 300 ms);"
        f" peak answered {peak:.1f}/s"
    )
    print("at 2x sustainable: " + line(over))
    # a noisy ramp can put the sustainable rate so low that twice it is still below what the
    # server answered at its peak: then nothing was overloaded and the ratio says nothing
    overloaded = 2 * sustainable > peak
    met = (
        overloaded
        and ratio >= 0.9
        and over["shed_p99"] < 100
        and over["failed"] == 0
        and over["shed_without_retry_after"] == 0
    )
    print(
        f"throughput {ratio:.0%} of peak (target >= 90%); 503 p99 {over['shed_p99']:.1f} ms"
        f" (target < 100 ms); every 503 with Retry-After:"
        f" {'yes' if not over['shed_without_retry_after'] else 'no'}; failed {over['failed']}"
        f" (target 0) -> target (3) {'met' if met else 'NOT met'}"
        + ("" if overloaded else " (inconclusive: 2x sustainable is below the peak)"),
        flush=True,
    )
    return {
        "title": title,
        "sustainable": sustainable,
        "peak": peak,
        "over": over,
        "met": "yes" if met else "no" if overloaded else "inconclusive",
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="100,200,300,400,500,600,800,1000,1200")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--devices", type=int, default=40)
    parser.add_argument(
        "--replicas",
        type=int,
        default=2,
        help="`doorstep serve` processes, the proxy's upstream servers (docker-compose.yml: 2)",
    )
    parser.add_argument("--workers", type=int, default=1, help="`doorstep serve --workers`")
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes")
    parser.add_argument(
        "--modes", default="proxy,direct", help="proxy (through nginx), direct, or both"
    )
    parser.add_argument(
        "--in-flight",
        default=None,
        help="nginx's bound on requests in flight to the server, comma-separated to try several"
        " (default: the one in server/deploy/nginx.conf)",
    )
    parser.add_argument(
        "--limit-concurrency",
        type=int,
        default=None,
        help="`doorstep serve --limit-concurrency`: uvicorn answers 503 beyond it per worker",
    )
    parser.add_argument("--backlog", type=int, default=None, help="`doorstep serve --backlog`")
    args = parser.parse_args()
    modes = args.modes.split(",")
    bounds = [int(b) for b in (args.in_flight or str(deployed_bound())).split(",")]
    if "proxy" in modes and not os.access(NGINX, os.X_OK):
        raise SystemExit(f"no nginx at {NGINX}: apt-get install -y nginx (or --modes direct)")
    load_before = os.getloadavg()
    outcomes = []
    async with pg_database() as url:
        with data_dir() as d:
            servers = [
                Server(doorstep_env(url, d), workers=args.workers) for _ in range(args.replicas)
            ]
            for server in servers:
                if args.limit_concurrency:
                    server.extra_args += ["--limit-concurrency", str(args.limit_concurrency)]
                if args.backlog:
                    server.extra_args += ["--backlog", str(args.backlog)]
            servers[0].run_cli("seed", "--demo", "--records")
            clients = Clients(args.clients)
            try:
                for server in servers:
                    server.start(migrate=False)
                bases = [server.url for server in servers]
                async with httpx.AsyncClient(base_url=bases[0], timeout=30) as client:
                    fleet = await devices(client, args.devices)
                for mode in modes:
                    if mode == "proxy":
                        for bound in bounds:
                            ports = [server.port for server in servers]
                            with nginx_running(ports, in_flight=bound) as proxy:
                                await settle(bases)
                                title = f"through nginx, limit_conn {bound} in flight"
                                outcomes.append(
                                    await measure(clients, args, [proxy.url], fleet, title)
                                )
                    else:
                        await settle(bases)
                        title = "direct (clients alternate replicas; only the app's own bound)"
                        outcomes.append(await measure(clients, args, bases, fleet, title))
            finally:
                clients.close()
                for server in servers:
                    server.stop()
    load_after = os.getloadavg()
    print()
    print(
        f"machine: {machine()}; {args.replicas} x doorstep serve --workers {args.workers};"
        f" {args.devices} devices;"
        f" {args.clients} client processes (nice {clients.nice});"
        f" limit-concurrency {args.limit_concurrency};"
        f" backlog {args.backlog}; load average {load_before[0]:.1f} -> {load_after[0]:.1f}"
    )
    print("| way in | sustainable | peak | at 2x: answered / peak | 503s, p99 | failed | met |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for o in outcomes:
        over = o["over"]
        print(
            f"| {o['title']} | {o['sustainable']}/s | {o['peak']:.0f}/s |"
            f" {over['ok_per_s']:.0f}/s = {over['ok_per_s'] / o['peak']:.0%} |"
            f" {over['shed']}, {over['shed_p99']:.1f} ms | {over['failed']} |"
            f" {o['met']} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
