"""Browser tests of the PWA: Debian's Chromium driven by Playwright against a real `doorstep run`.

The server runs in its own process on a free port with its own data directory, serving the
built PWA from pwa/dist (build it first: `npm --prefix pwa ci && npm --prefix pwa run build`).
Screenshots go to test-artifacts/pwa/ (not committed).
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "pwa" / "dist"
ARTIFACTS = ROOT / "test-artifacts" / "pwa"
CHROMIUM = os.environ.get("DOORSTEP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "doorstep-demo"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    # Missing prerequisites fail loudly: a browser test that skips proves nothing.
    if not (DIST / "index.html").is_file():
        pytest.fail("pwa/dist is not built (npm --prefix pwa ci && npm --prefix pwa run build)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    port = _free_port()
    data = tempfile.mkdtemp(prefix="doorstep-pwa-")
    env = {**os.environ, "DOORSTEP_DATA_DIR": data, "DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS": "1"}
    env.pop("DOORSTEP_DATABASE_URL", None)
    env.pop("DOORSTEP_REDIS_URL", None)
    log = open(Path(data) / "server.log", "wb")  # noqa: SIM115 - outlives this block, closed in finally
    doorstep = shutil.which("doorstep") or str(Path(sys.executable).parent / "doorstep")
    proc = subprocess.Popen(
        [doorstep, "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(url + "/health/live", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError((Path(data) / "server.log").read_text()) from None
                time.sleep(0.2)
        else:
            raise RuntimeError("doorstep did not start")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(data) / "server.log", ARTIFACTS / "server.log")  # kept for debugging
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Any]:
    """A phone-sized browser profile per device; closed after the test."""
    made: list[Any] = []

    def make() -> Any:
        ctx = browser.new_context(
            viewport={"width": 390, "height": 844},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def wait_idle(page: Any, timeout_s: float = 20) -> None:
    """Until the sync bar shows no unsent change and no sync in progress."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        busy = page.query_selector(".syncbar .progress, .syncbar .unsent")
        last = page.query_selector(".syncbar .last")
        if not busy and last and ":" in (last.text_content() or ""):
            return
        time.sleep(0.2)
    raise AssertionError(f"sync did not finish: {page.text_content('.syncbar')}")


def sync_now(page: Any) -> None:
    time.sleep(0.3)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    time.sleep(0.5)
    wait_idle(page)


def login(ctx: Any, base: str, username: str) -> Any:
    page = ctx.new_page()
    page.goto(base + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".tiles", timeout=15000)
    wait_idle(page)
    return page


def go(page: Any, route: str, selector: str | None = None) -> None:
    page.evaluate(f"location.hash = {route!r}")
    if selector:
        page.wait_for_selector(selector, timeout=10000)
    time.sleep(0.3)


@pytest.fixture(autouse=True)
def _clear_login_throttle() -> None:
    """Overrides the suite's async autouse fixture: these tests talk to their own server process,
    and an asyncio runner next to Playwright's sync API would clash with its event loop."""


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A throttled phone (390×844, touch, zh-CN, 4× CPU slowdown) per call, as issue 10 scripts
    a person's day; every page it opens is throttled through the DevTools protocol."""
    made: list[Any] = []

    def make() -> Any:
        ctx = browser.new_context(
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        ctx.on("page", throttle)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def throttle(page: Any) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})


def set_datetime(page: Any, name: str, value: str) -> None:
    """Picks "YYYY-MM-DDTHH:MM" (Shanghai time) in the app's 年/月/日 时:分 picker."""
    y, mo, d = (int(x) for x in value[:10].split("-"))
    hh, mm = (int(x) for x in value[11:16].split(":"))
    for part, v in (("y", y), ("m", mo), ("d", d), ("h", hh), ("min", mm)):
        page.select_option(f"[data-for={name}] select[data-part={part}]", str(v))


def deliver_push(ctx: Any, page: Any, base: str, payload: dict[str, str]) -> Any:
    """A real push message through Chromium's DevTools into the app's service worker; the
    worker once a notification shows (the first delivery can race the worker's activation)."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp = ctx.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(
            r["registrationId"] for r in e["registrations"] if not r.get("isDeleted")
        ),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(150):
        if registrations:
            break
        page.wait_for_timeout(100)
    assert registrations, "no service worker registration"
    worker = ctx.service_workers[0]
    for _attempt in range(3):  # the first delivery can race the worker's activation
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": base + "/",
                "registrationId": registrations[-1],
                "data": json.dumps(payload),
            },
        )
        for _ in range(100):
            if worker.evaluate("self.registration.getNotifications().then(ns => ns.length)"):
                return worker
            page.wait_for_timeout(100)
    raise AssertionError("the push message showed no notification")
