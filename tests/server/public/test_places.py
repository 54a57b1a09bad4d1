"""The 500 m circle against a hand-computed case, its coverage figure, and the station poster
whose QR code must decode to the station's appeal form."""

from __future__ import annotations

import io
import math
from typing import Any

import pytest
import zxingcpp
from pypdf import PdfReader

from tests.helpers import COMMUNITY_A
from tests.server.public.conftest import STATION_A

# WGS 84
A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)
STATION_LAT, STATION_LNG = 22.783, 113.909  # GM.GUANGMING.C01.S1 in the demo org file


def meridian_arc_m(lat1: float, lat2: float) -> float:
    """By hand: along one meridian over a short span, distance = M(φ) · Δφ with the meridional
    radius of curvature M = a(1 − e²) / (1 − e² sin²φ)^{3/2} at the mid latitude."""
    mid = math.radians((lat1 + lat2) / 2)
    m = A * (1 - E2) / (1 - E2 * math.sin(mid) ** 2) ** 1.5
    return m * abs(math.radians(lat2 - lat1))


async def test_nearby_matches_a_hand_computed_distance(client: Any) -> None:
    resident_lat = STATION_LAT - 0.0027  # about 300 m due south of the station
    expected = meridian_arc_m(resident_lat, STATION_LAT)
    response = await client.get(
        "/api/public/nearby", params={"lat": resident_lat, "lng": STATION_LNG, "radius_m": 500}
    )
    assert response.status_code == 200, response.text
    points = response.json()["points"]
    station = next(p for p in points if p["code"] == STATION_A)
    assert abs(station["distance_m"] - expected) < 1.0
    assert station["hours"] and station["kind"] == "station"
    distances = [p["distance_m"] for p in points]
    assert distances == sorted(distances) and all(d <= 500 for d in distances)
    kinds = {p["kind"] for p in points}
    assert {"station", "hall", "lawyer_duty", "psych_room"} <= kinds


async def test_nearby_from_a_chosen_community_and_bad_input(client: Any) -> None:
    response = await client.get("/api/public/nearby", params={"org_unit_id": str(COMMUNITY_A)})
    assert response.status_code == 200
    assert response.json()["points"][0]["distance_m"] == 0
    for params in (
        {},
        {"lat": 95, "lng": 113},
        {"lat": 22.7, "lng": 113.9, "radius_m": 0},
        {"lat": 22.7, "lng": 113.9, "radius_m": 99999},
        {"lat": "north", "lng": 113.9},
    ):
        assert (await client.get("/api/public/nearby", params=params)).status_code == 400, params
    unknown = await client.get("/api/public/nearby", params={"org_unit_id": "not-a-unit"})
    assert unknown.status_code == 404


async def test_coverage_is_a_share_per_kind(client: Any) -> None:
    response = await client.get("/api/public/coverage", params={"org_unit_id": str(COMMUNITY_A)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sample_points"] > 20 and body["demo"] is True
    shares = body["by_kind"]
    # the hall stands at the community's centre; the demo outline (a Voronoi cell of the
    # command map's boundaries file) is a few km across, so it covers some homes, not all
    assert 0.0 < shares["hall"] < 1.0
    assert all(v is None or 0.0 <= v <= 1.0 for v in shares.values())
    bad = await client.get("/api/public/coverage", params={"org_unit_id": "x"})
    assert bad.status_code == 400


async def test_the_poster_qr_code_opens_the_station_appeal_form(client: Any) -> None:
    response = await client.get(f"/api/public/stations/{STATION_A}/poster.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    page = reader.pages[0]
    assert abs(float(page.mediabox.width) - 595.28) < 1  # A4
    assert "群众诉求服务站" in page.extract_text()
    fonts = [
        f["/BaseFont"]
        for f in page["/Resources"]["/Font"].values()  # type: ignore[index]
    ]
    assert fonts  # the CJK font is embedded
    image = page.images[0].image
    assert image is not None
    found = zxingcpp.read_barcodes(image)
    assert [b.text for b in found] == [
        "http://testserver.local/#/public/appeal?station=GM.GUANGMING.C01.S1"
    ]


@pytest.mark.parametrize("code", ["GM.GUANGMING.C01", "NOPE", "GM.GUANGMING.C01.G1"])
async def test_a_poster_only_for_a_station(client: Any, code: str) -> None:
    response = await client.get(f"/api/public/stations/{code}/poster.pdf")
    assert response.status_code == 404
