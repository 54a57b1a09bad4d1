"""The command view in Chromium at a desktop size (1440×900): the map drawn from the org
boundaries with no tile server (no request leaves our server), filtered by level, a point
opening its record; the statistics screen showing the API's own figures; English labels."""

from __future__ import annotations

import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl

from .conftest import PASSWORD, go, shot, wait_idle
from .test_field_day import _api

DESKTOP = {"width": 1440, "height": 900}
SHANGHAI = timedelta(hours=8)


def _device(base: str, username: str) -> dict[str, Any]:
    body = {"username": username, "password": PASSWORD, "device_name": f"api {username}"}
    return dict(_api(base, "/api/auth/login", body))


def _unit_id(base: str, device: dict[str, Any], code: str) -> str:
    cursor = ""
    while True:
        page = _api(
            base,
            "/api/sync/pull?limit=500" + (f"&cursor={cursor}" if cursor else ""),
            None,
            device["access_token"],
        )
        for c in page["changes"]:
            if c["collection"] == "org_units" and c.get("fields", {}).get("code") == code:
                return str(c["record_id"])
        cursor = page["cursor"]
        if not page["has_more"]:
            raise AssertionError(f"no org unit {code}")


def _push_disputes(
    base: str, device: dict[str, Any], community_id: str, rows: list[dict[str, Any]]
) -> list[str]:
    schema = int(_api(base, "/api/sync/schema", None, device["access_token"])["schema_version"])
    now = int(time.time() * 1000)
    ids: list[str] = []
    mutations = []
    for i, row in enumerate(rows):
        record_id = str(uuid.uuid4())
        ids.append(record_id)
        mutations.append(
            {
                "id": str(uuid.uuid4()),
                "seq": i + 1,
                "collection": "disputes",
                "record_id": record_id,
                "op": "upsert",
                "base_version": 0,
                "hlc": f"{now + i:013d}-0000-{device['device_id']}",
                "fields": {
                    "community_id": community_id,
                    "service_type": "dispute",
                    "category": "neighbour",
                    **row,
                },
            }
        )
    results = _api(
        base,
        "/api/sync/push",
        {"schema_version": schema, "mutations": mutations},
        device["access_token"],
    )
    assert all(r["status"] == "applied" for r in results["results"]), results
    return ids


def _month_window(now: datetime) -> tuple[str, str, str]:
    local = now + SHANGHAI
    start = datetime(local.year, local.month, 1, tzinfo=UTC) - SHANGHAI
    nxt = datetime(local.year + (local.month == 12), local.month % 12 + 1, 1, tzinfo=UTC) - SHANGHAI
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return f"{local.year:04d}-{local.month:02d}", start.strftime(fmt), nxt.strftime(fmt)


def _desktop(browser: Any, base: str, outside: list[str], lang: str = "zh") -> Any:
    ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")

    def guard(route: Any) -> None:
        # Nothing but our own server: a tile (or any other) request elsewhere is recorded and refused.
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", guard)
    if lang == "en":
        ctx.add_init_script("localStorage.setItem('doorstep.lang', 'en')")
    return ctx


def _login(ctx: Any, base: str, username: str) -> Any:
    page = ctx.new_page()
    page.goto(base + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".tiles", timeout=15000)
    wait_idle(page, 40)
    return page


def _wait(cond: Any, what: str, timeout_s: float = 15) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError(what)


def test_map_draws_offline_from_boundaries_filters_by_level_and_opens_a_record(
    server_url: str, browser: Any
) -> None:
    gw = _device(server_url, "gw.a1")
    c01 = _unit_id(server_url, gw, "GM.GUANGMING.C01")
    red_title = "一张图：红色纠纷（测试）"
    red_id, *_ = _push_disputes(
        server_url,
        gw,
        c01,
        [
            # Far apart, so each is its own marker at the district's zoom.
            {
                "title": red_title,
                "risk_level": "red",
                "location": {"lat": 22.79, "lng": 113.89, "accuracy_m": 10},
            },
            {
                "title": "一张图：蓝色纠纷",
                "risk_level": "blue",
                "location": {"lat": 22.72, "lng": 113.95, "accuracy_m": 10},
            },
            {
                "title": "一张图：橙色纠纷",
                "risk_level": "orange",
                "location": {"lat": 22.74, "lng": 113.92, "accuracy_m": 10},
            },
        ],
    )
    district = _device(server_url, "district")
    org = district["user"]["org_unit_id"]
    token = district["access_token"]
    boundaries = _api(server_url, f"/api/command/boundaries?org_unit_id={org}", None, token)
    polygons = [
        f for f in boundaries["features"] if f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    ]
    assert polygons, "the demo org file carries boundaries"

    outside: list[str] = []
    page = _login(_desktop(browser, server_url, outside), server_url, "district")
    go(page, "#/map", "#cmd-map[data-ready='1']")
    # One outline per child unit, drawn as SVG paths, and no tile layer at all.
    _wait(
        lambda: len(page.query_selector_all("path.cmd-boundary")) >= len(polygons),
        "boundaries drawn",
    )
    assert page.query_selector(".leaflet-tile") is None
    assert page.get_attribute("#cmd-map", "data-tiles") == "0"
    shot(page, "60-command-map")

    # Level filter: only red left.
    for level in ("blue", "yellow", "orange"):
        page.uncheck(f"input[name=level][value={level}]")
    since = (datetime.now(UTC) - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ")
    q = urllib.parse.urlencode(
        {"org_unit_id": org, "levels": "red", "status": "open", "from": since}
    )
    red = [
        f
        for f in _api(server_url, f"/api/command/map?{q}", None, token)["features"]
        if (f["properties"].get("risk_level") or f["properties"].get("level")) == "red"
    ]
    assert any(f["properties"]["id"] == red_id for f in red)
    _wait(
        lambda: page.get_attribute("#cmd-map", "data-points") == str(len(red)),
        "filtered to the API's red points",
    )
    levels = {el.get_attribute("data-level") for el in page.query_selector_all(".cmd-point")}
    clusters = page.query_selector_all(".cmd-cluster")
    assert levels <= {"red"}, levels
    assert all("level-red" in (c.get_attribute("class") or "") for c in clusters)
    assert page.query_selector(f".cmd-point[data-id='{red_id}']") or clusters
    shot(page, "61-command-map-red")

    # A click opens the record (through the cluster's list when points share a spot).
    point = page.query_selector(f".cmd-point[data-id='{red_id}']")
    if point:
        point.click()
    else:
        clusters[0].click()
        page.wait_for_selector(f".leaflet-popup a[href='#/disputes/{red_id}']").click()
    _wait(lambda: page.evaluate("location.hash") == f"#/disputes/{red_id}", "opened the dispute")
    page.wait_for_selector("h2.title")
    assert page.text_content("h2.title") == red_title
    assert outside == [], outside


def test_statistics_screen_at_desktop_size_shows_the_apis_figures(
    server_url: str, browser: Any
) -> None:
    gw = _device(server_url, "gw.a1")
    c01 = _unit_id(server_url, gw, "GM.GUANGMING.C01")
    _push_disputes(
        server_url,
        gw,
        c01,
        [
            {"title": "统计：楼道堆物", "risk_level": "yellow"},
            {"title": "统计：噪音扰民", "risk_level": "orange"},
        ],
    )
    district = _device(server_url, "district")
    org = district["user"]["org_unit_id"]
    month, start, end = _month_window(datetime.now(UTC))
    q = urllib.parse.urlencode({"org_unit_id": org, "from": start, "to": end})
    api = _api(server_url, f"/api/command/stats?{q}", None, district["access_token"])

    outside: list[str] = []
    page = _login(_desktop(browser, server_url, outside), server_url, "district")
    go(page, f"#/stats?month={month}", ".cmd-figure[data-figure='appeals.received']")
    _wait(lambda: len(page.query_selector_all(".cmd-chart canvas")) >= 2, "charts drawn")
    shown = {
        el.get_attribute("data-figure"): el.get_attribute("data-value")
        for el in page.query_selector_all(".cmd-figure")
    }
    for path, value in shown.items():
        expected: Any = api
        for part in str(path).split("."):
            expected = expected[part]
        if expected is None:
            assert value == "", (path, value)
        else:
            assert float(value or "nan") == float(expected), (path, value, expected)
    assert int(shown["appeals.received"] or 0) >= 2
    assert shown["appeals.received"] == str(api["appeals"]["received"])
    rows = page.query_selector_all("[data-table=by_child] tbody tr")
    assert [r.get_attribute("data-unit") for r in rows] == [
        c["org_unit_id"] for c in api["by_child"]
    ]
    # The page uses the desktop's width, not a phone column.
    assert page.evaluate("document.querySelector('main').getBoundingClientRect().width") > 1200
    shot(page, "62-command-stats-1440")
    # The monthly report button downloads the server's workbook for this unit and month.
    with page.expect_download() as dl:
        page.click("button.cmd-monthly")
    path = Path(tempfile.mkdtemp()) / "monthly.xlsx"
    dl.value.save_as(path)
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert "汇总" in workbook.sheetnames
    assert dl.value.suggested_filename.endswith(f"-{month}.xlsx")
    # Every figure drills down to its records: as many as the figure says.
    page.click(".cmd-figure[data-figure='appeals.received']")
    page.wait_for_selector(".cmd-drill")
    assert page.get_attribute(".cmd-drill", "data-count") == str(api["appeals"]["received"])
    items = page.query_selector_all(".cmd-drill-list > li")
    assert len(items) == min(api["appeals"]["received"], 200)
    assert outside == [], outside


def test_statistics_labels_follow_the_english_switch(server_url: str, browser: Any) -> None:
    outside: list[str] = []
    page = _login(_desktop(browser, server_url, outside, lang="en"), server_url, "district")
    go(page, "#/stats", ".cmd-figure[data-figure='appeals.received']")
    labels = [el.text_content() for el in page.query_selector_all(".cmd-figure .label")]
    assert "Appeals received" in labels and "On-time arrival rate" in labels
    assert not [x for x in labels if x and any("\u4e00" <= ch <= "\u9fff" for ch in x)], labels
    shot(page, "63-command-stats-en")


def test_map_and_its_warning_list_update_live_without_reload(server_url: str, browser: Any) -> None:
    outside: list[str] = []
    page = _login(_desktop(browser, server_url, outside), server_url, "district")
    go(page, "#/map", "#cmd-map[data-ready='1']")
    _wait(lambda: page.get_attribute(".cmd-live", "data-state") == "open", "live stream open")
    page.evaluate("window.__sameDocument = true")
    points = int(page.get_attribute("#cmd-map", "data-points") or "0")
    warnings = len(page.query_selector_all(".cmd-warnings a[data-id]"))

    # Someone else commits a red dispute (which raises a red warning) on the server.
    gw = _device(server_url, "gw.a1")
    c01 = _unit_id(server_url, gw, "GM.GUANGMING.C01")
    (dispute_id,) = _push_disputes(
        server_url,
        gw,
        c01,
        [
            {
                "title": "实时：新红色纠纷",
                "risk_level": "red",
                "location": {"lat": 22.76, "lng": 113.90, "accuracy_m": 10},
            }
        ],
    )
    # The map was not re-rendered by a sync (it is not a synced screen): only the stream tells it.
    _wait(
        lambda: int(page.get_attribute("#cmd-map", "data-points") or "0") >= points + 2,
        "the new dispute and warning on the map",
        20,
    )
    _wait(
        lambda: len(page.query_selector_all(".cmd-warnings a[data-id]")) == warnings + 1,
        "the new warning in the list",
        20,
    )
    assert page.evaluate("window.__sameDocument") is True
    assert dispute_id
    shot(page, "64-command-map-live")


def test_case_timeline_in_words_on_a_dispute_and_says_it_needs_a_network_offline(
    server_url: str, browser: Any
) -> None:
    gw = _device(server_url, "gw.a1")
    c01 = _unit_id(server_url, gw, "GM.GUANGMING.C01")
    first, second = _push_disputes(
        server_url,
        gw,
        c01,
        [
            {"title": "经过：邻里漏水", "risk_level": "orange"},
            {"title": "经过：停车纠纷", "risk_level": "yellow"},
        ],
    )
    outside: list[str] = []
    ctx = _desktop(browser, server_url, outside)
    page = _login(ctx, server_url, "admin.a")
    go(page, f"#/disputes/{first}", ".timeline")
    _wait(lambda: bool(page.query_selector_all(".timeline .tl-event")), "history shown")
    text = page.inner_text(".timeline")
    assert "新建" in text and "网格员" in text, text
    assert first not in text and "{" not in text  # words, not ids or JSON
    shot(page, "65-case-timeline")

    ctx.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    go(page, f"#/disputes/{second}", ".timeline")
    _wait(lambda: page.query_selector(".timeline .tl-offline") is not None, "offline notice")
    assert "需要网络" in page.inner_text(".timeline")
    ctx.set_offline(False)
