"""PWA performance figures (issue "The PWA", docs/performance.md), measured in Debian's Chromium.

1. Offline cold start: after one online login the network is cut, the CPU throttled 4x, and a new
   page opens the app; the time from navigation start to the first usable screen (home tiles).
   Budget: 1.5 s.
2. Initial sync: the server holds 5,000 disputes in a community; a new device logs in and pulls
   them into IndexedDB (one transaction per 500-record page). The rate at which the app applies
   pulled pages (User Timing measures "doorstep:apply-page") is compared with a raw
   single-transaction `put` loop of the same records in the same browser run. Budget: at least
   50% of the raw rate. The end-to-end time (login, HTTP, server) is printed too.

Run: `.venv/bin/python bench/pwa_bench.py` (starts its own `doorstep run` on a free port with a
temporary data directory; needs pwa/dist built). Not a test: it prints figures.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("DOORSTEP_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
N_RECORDS = int(os.environ.get("BENCH_RECORDS", "5000"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(base: str, path: str, body: Any = None, token: str | None = None) -> Any:
    req = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        method="POST" if body is not None else "GET",
    )
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read() or b"null")


def seed_disputes(base: str, n: int) -> None:
    """n disputes in gw.a1's community, pushed in batches of 500 like a device would."""
    auth = _call(
        base,
        "/api/auth/login",
        {"username": "gw.a1", "password": "doorstep-demo", "device_name": "bench"},
    )
    token, device = auth["access_token"], auth["device_id"]
    page = _call(base, "/api/sync/pull?limit=1000", token=token)
    units = {c["record_id"]: c["fields"] for c in page["changes"] if c["collection"] == "org_units"}
    community = auth["user"]["org_unit_id"]
    while units.get(community, {}).get("kind") != "community":
        community = units[community]["parent_id"]
    ms = int(time.time() * 1000)
    seq = 0
    for start in range(0, n, 500):
        mutations = []
        for i in range(start, min(n, start + 500)):
            seq += 1
            mutations.append(
                {
                    "id": str(uuid.uuid4()),
                    "seq": seq,
                    "collection": "disputes",
                    "record_id": str(uuid.uuid4()),
                    "op": "upsert",
                    "base_version": 0,
                    "hlc": f"{ms:013d}-{seq % 65536:04x}-{device}",
                    "fields": {
                        "community_id": community,
                        "title": f"压测纠纷 {i}",
                        "risk_level": "blue",
                        "status": "registered",
                        "category": "neighbour",
                        "address": f"某小区{i % 40}栋",
                        "description": "用于测量初次同步速度的演示记录。" * 3,
                        "tags": ["bench"],
                    },
                }
            )
        result = _call(base, "/api/sync/push", {"schema_version": 1, "mutations": mutations}, token)
        bad = [r for r in result["results"] if r["status"] == "rejected"]
        assert not bad, bad[:2]


def login(page: Any, base: str, user: str) -> None:
    page.goto(base + "/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "doorstep-demo")
    page.click("button[type=submit]")


def wait_synced(page: Any, timeout_s: float = 300) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if page.query_selector(".tiles") and not page.query_selector(".syncbar .progress"):
            last = page.query_selector(".syncbar .last")
            if last and ":" in (last.text_content() or ""):
                return
        time.sleep(0.05)
    raise RuntimeError("sync did not finish")


RAW_PUT_LOOP = """async () => {
  const open = (name, upgrade) => new Promise((ok, fail) => {
    const r = indexedDB.open(name, 1); r.onupgradeneeded = () => upgrade(r.result);
    r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
  // The logged-in person's own database (one per person: pwa/src/storage/tablet.ts).
  const mine = (await indexedDB.databases()).find((d) => d.name.startsWith("doorstep-u-")).name;
  const app = await open(mine, () => {});
  const records = await new Promise((ok) => {
    const q = app.transaction("records").objectStore("records").index("by_collection").getAll("disputes");
    q.onsuccess = () => ok(q.result); });
  app.close();
  const raw = await open("bench-raw", (d) => d.createObjectStore("records", { keyPath: ["collection", "id"] }));
  const t0 = performance.now();
  await new Promise((ok, fail) => {
    const tx = raw.transaction("records", "readwrite");
    for (const r of records) tx.objectStore("records").put(r);
    tx.oncomplete = ok; tx.onerror = () => fail(tx.error); });
  const ms = performance.now() - t0;
  raw.close();
  return { n: records.length, ms };
}"""


def main() -> int:
    from playwright.sync_api import sync_playwright

    if not (ROOT / "pwa" / "dist" / "index.html").is_file():
        print("build the PWA first: npm --prefix pwa run build", file=sys.stderr)
        return 2
    port = _free_port()
    data = tempfile.mkdtemp(prefix="doorstep-bench-")
    env = {**os.environ, "DOORSTEP_DATA_DIR": data}
    doorstep = shutil.which("doorstep") or str(Path(sys.executable).parent / "doorstep")
    proc = subprocess.Popen(
        [doorstep, "run", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/health/live", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)

            # 1. offline cold start, 4x CPU throttling
            ctx = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
            page = ctx.new_page()
            login(page, base, "gw.a1")
            wait_synced(page)
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            page.close()
            ctx.set_offline(True)
            starts = []
            for _ in range(3):
                page = ctx.new_page()
                cdp = ctx.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                page.goto(base + "/", wait_until="commit")
                page.wait_for_selector(".tiles", timeout=20000)
                starts.append(page.evaluate("performance.now()"))
                page.close()
            ctx.close()

            # 2. initial sync of N records vs a raw put loop
            seed_disputes(base, N_RECORDS)
            ctx = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
            page = ctx.new_page()
            login(page, base, "gw.a2")
            t0 = time.time()
            page.wait_for_selector(".tiles", timeout=30000)
            wait_synced(page)
            sync_s = time.time() - t0
            apply_ms = page.evaluate(
                "performance.getEntriesByName('doorstep:apply-page').reduce((s, e) => s + e.duration, 0)"
            )
            raw = page.evaluate(RAW_PUT_LOOP)
            ctx.close()
            browser.close()
        cold = sorted(starts)[len(starts) // 2]
        app_rate = raw["n"] / (apply_ms / 1000)
        raw_rate = raw["n"] / (raw["ms"] / 1000)
        print(
            f"offline cold start (4x CPU): median {cold:.0f} ms of {[round(s) for s in starts]} "
            f"(budget 1500 ms) {'OK' if cold <= 1500 else 'OVER'}"
        )
        print(
            f"initial sync end to end (login, HTTP pages, IndexedDB): {raw['n']} disputes in {sync_s:.2f} s"
        )
        print(f"  applying pulled pages to IndexedDB: {apply_ms:.0f} ms = {app_rate:.0f} records/s")
        print(
            f"  raw single-transaction put loop: {raw['ms']:.0f} ms = {raw_rate:.0f} records/s; "
            f"app/raw = {100 * app_rate / raw_rate:.0f}% (budget >= 50%) "
            f"{'OK' if app_rate >= raw_rate / 2 else 'UNDER'}"
        )
        return 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
