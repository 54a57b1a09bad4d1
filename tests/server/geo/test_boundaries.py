"""Org outlines: the demo file's (drawn by its generator, nested, not overlapping), the
importer's checks, `GET /api/command/boundaries`, and the base-map settings."""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from shapely.geometry import Point, shape

from server.geo.config import tile_origin
from server.org.importer import DEMO_FILE, ImportError_, import_file
from server.org.tables import OrgBoundary
from server.settings import ConfigError, get_settings, load_settings
from tests.helpers import COMMUNITY_A, DISTRICT, STREET_A, login

BOUNDARIES_FILE = DEMO_FILE.parent / "guangming-demo-boundaries.geojson"
GENERATOR = DEMO_FILE.parent / "make_demo_boundaries.py"


def demo_shapes() -> dict[str, tuple[str, Any]]:
    data = json.loads(BOUNDARIES_FILE.read_text(encoding="utf-8"))
    assert data["demo"] is True
    return {
        f["properties"]["code"]: (f["properties"]["kind"], shape(f["geometry"]))
        for f in data["features"]
    }


def test_the_demo_file_is_what_its_generator_draws() -> None:
    spec = importlib.util.spec_from_file_location("make_demo_boundaries", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    drawn = json.loads(json.dumps(module.build()))
    assert drawn == json.loads(BOUNDARIES_FILE.read_text(encoding="utf-8"))


def test_demo_outlines_nest_and_do_not_overlap() -> None:
    shapes = demo_shapes()
    kinds = [kind for kind, _ in shapes.values()]
    assert (kinds.count("district"), kinds.count("street"), kinds.count("community")) == (1, 6, 31)
    assert all(s.is_valid and s.area > 0 for _, s in shapes.values())
    for level in ("street", "community"):
        same = [s for kind, s in shapes.values() if kind == level]
        for one, other in itertools.combinations(same, 2):
            assert one.intersection(other).area < 1e-10
    district = shapes["GM"][1]
    for code, (kind, outline) in shapes.items():
        if kind == "community":
            street = shapes[code.rsplit(".", 1)[0]][1]
            assert outline.buffer(-1e-6).within(street)
        if kind != "district":
            assert outline.buffer(-1e-6).within(district)


async def boundaries(session: Any, unit: uuid.UUID) -> dict[str, Any]:
    response = await session.get("/api/command/boundaries", params={"org_unit_id": str(unit)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == "FeatureCollection" and body["org_unit_id"] == str(unit)
    return body


@pytest.mark.usefixtures("database")
async def test_the_endpoint_gives_the_childrens_outlines(client: httpx.AsyncClient) -> None:
    district = await boundaries(await login(client, "district"), DISTRICT)
    assert len(district["features"]) == 6 and district["demo"] is True
    assert {f["properties"]["kind"] for f in district["features"]} == {"street"}
    assert district["unit"]["code"] == "GM" and district["unit"]["boundary"]["type"] == "Polygon"
    for feature in district["features"]:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert feature["properties"]["demo"] is True
        centre = feature["properties"]["centre"]
        assert set(centre) == {"lat", "lng"}

    street = await boundaries(await login(client, "street.a"), STREET_A)
    codes = [f["properties"]["code"] for f in street["features"]]
    assert codes == [f"GM.GUANGMING.C0{i}" for i in range(1, 7)]
    for feature in street["features"]:  # each community holds its own centre
        centre = feature["properties"]["centre"]
        assert shape(feature["geometry"]).contains(Point(centre["lng"], centre["lat"]))

    community = await boundaries(await login(client, "admin.a"), COMMUNITY_A)
    assert community["features"] == []  # grids and stations have no outlines
    assert community["unit"]["boundary"]["type"] == "Polygon"
    assert community["unit"]["centre"] == {"lat": 22.783, "lng": 113.909}


@pytest.mark.usefixtures("database")
async def test_bad_requests_for_boundaries(client: httpx.AsyncClient) -> None:
    admin = await login(client, "admin.a")
    for params in ({}, {"org_unit_id": "x"}):
        response = await admin.get("/api/command/boundaries", params=params)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["details"]["field"] == "org_unit_id"
    response = await client.get("/api/command/boundaries", params={"org_unit_id": str(DISTRICT)})
    assert response.status_code == 401


SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[113.9, 22.7], [113.91, 22.7], [113.91, 22.71], [113.9, 22.71], [113.9, 22.7]]
    ],
}


def org_file(tmp_path: Path, boundary: Any = None, **top: Any) -> Path:
    community: dict[str, Any] = {
        "code": "GM.BSTREET.C1",
        "kind": "community",
        "name": "边界测试社区",
        "parent": "GM.BSTREET",
    }
    if boundary is not None:
        community["boundary"] = boundary
    doc = {
        "units": [
            {"code": "GM", "kind": "district", "name": "光明区（示范）"},
            {"code": "GM.BSTREET", "kind": "street", "name": "边界测试街道", "parent": "GM"},
            community,
        ],
        **top,
    }
    path = tmp_path / "org.json"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    return path


@pytest.mark.usefixtures("database")
async def test_an_org_file_may_carry_a_boundary_inline(tmp_path: Path) -> None:
    counts = await import_file(org_file(tmp_path, SQUARE))
    assert counts["boundaries"] == 1
    [row] = (
        await OrgBoundary.select().where(OrgBoundary.code == "GM.BSTREET.C1").output(load_json=True)
    )
    assert row["geometry"] == SQUARE and row["demo"] is False
    # importing again replaces, never duplicates
    await import_file(org_file(tmp_path, SQUARE))
    assert await OrgBoundary.count().where(OrgBoundary.code == "GM.BSTREET.C1") == 1
    # the demo file still loads its 38 outlines
    assert (await import_file(DEMO_FILE))["boundaries"] == 38


BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[113.9, 22.7], [113.91, 22.71], [113.91, 22.7], [113.9, 22.71], [113.9, 22.7]]
    ],
}


@pytest.mark.usefixtures("database")
@pytest.mark.parametrize(
    "boundary",
    [
        {"type": "Point", "coordinates": [113.9, 22.7]},
        BOWTIE,
        {
            "type": "Polygon",
            "coordinates": [[[22.7, 213.9], [22.7, 213.91], [22.71, 213.9], [22.7, 213.9]]],
        },
        {"type": "Polygon", "coordinates": "not coordinates"},
        {"type": "Polygon", "coordinates": []},
        "a square",
    ],
)
async def test_a_bad_boundary_is_refused_and_nothing_is_written(
    tmp_path: Path, boundary: Any
) -> None:
    before = await OrgBoundary.count()
    with pytest.raises(ImportError_, match=r"GM\.BSTREET\.C1"):
        await import_file(org_file(tmp_path, boundary))
    assert await OrgBoundary.count() == before


@pytest.mark.usefixtures("database")
async def test_a_boundaries_file_must_name_units_of_the_org_file(tmp_path: Path) -> None:
    (tmp_path / "outlines.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"code": "NOWHERE"}, "geometry": SQUARE}
                ],
            }
        )
    )
    with pytest.raises(ImportError_, match="NOWHERE"):
        await import_file(org_file(tmp_path, boundaries="outlines.geojson"))
    with pytest.raises(ImportError_, match="cannot read"):
        await import_file(org_file(tmp_path, boundaries="missing.geojson"))


def test_tile_settings_are_checked_and_allowed_by_the_csp(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=KEY"
    monkeypatch.setenv("DOORSTEP_MAP_TILE_URL", url)
    monkeypatch.setenv("DOORSTEP_MAP_CRS", "GCJ02")
    settings = load_settings()
    assert settings.map_tile_url == url and settings.map_crs == "gcj02"
    assert tile_origin(url) == "https://*.tianditu.gov.cn"
    assert tile_origin("http://tiles.example.org:8080/{z}/{x}/{y}.png") == (
        "http://tiles.example.org:8080"
    )
    for name, value in [
        ("DOORSTEP_MAP_TILE_URL", "ftp://tiles/{z}/{x}/{y}"),
        ("DOORSTEP_MAP_TILE_URL", "https://tiles.example.org/tile.png"),
        ("DOORSTEP_MAP_CRS", "bd09"),
    ]:
        monkeypatch.setenv(name, value)
        with pytest.raises(ConfigError):
            load_settings()
        monkeypatch.setenv("DOORSTEP_MAP_TILE_URL", url)
        monkeypatch.setenv("DOORSTEP_MAP_CRS", "wgs84")


@pytest.mark.usefixtures("database")
async def test_map_config_reaches_the_pwa_and_the_csp(client: httpx.AsyncClient) -> None:
    from server.app import create_app

    admin = await login(client, "admin.a")
    response = await admin.get("/api/command/map-config")
    assert response.status_code == 200
    assert response.json()["tile_url"] is None and response.json()["crs"] == "wgs84"
    gw = await login(client, "gw.a1")
    assert (await gw.get("/api/command/map-config")).status_code == 403

    settings = dataclasses.replace(
        get_settings(),
        map_tile_url="https://t{s}.tianditu.gov.cn/vec_w/{z}/{x}/{y}?tk=KEY",
        map_crs="wgs84",
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://t.local") as other:
        response = await other.get(
            "/api/command/map-config", headers={"Authorization": f"Bearer {admin.access_token}"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["tile_url"] == settings.map_tile_url
        csp = response.headers["content-security-policy"]
        assert "img-src 'self' https://*.tianditu.gov.cn data: blob:" in csp
