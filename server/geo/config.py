"""The base map the PWA may draw under the command map, from `DOORSTEP_MAP_TILE_URL` and
`DOORSTEP_MAP_CRS` (docs/operations.md "The command map").

Without a tile URL the map draws the org outlines alone (no tile server needed, works offline).
With one, the app's Content-Security-Policy lets images come from the tile server's origin, and
the PWA is told the tiles' datum: 天地图 tiles are CGCS2000, which is WGS-84 to within
centimetres, so points are drawn as they are; GCJ-02 tiles (高德, 腾讯 and other mainland
providers) are offset by up to several hundred metres, so the app shifts every point and
outline to GCJ-02 before drawing (`crs: "gcj02"`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from server.settings import Settings


def tile_origin(url: str | None) -> str | None:
    """The origin tiles come from, as a CSP source (`{s}` subdomains become `*`)."""
    if not url:
        return None
    parts = urlsplit(url.replace("{s}", "tile-subdomain"))
    if not parts.scheme or not parts.hostname:
        return None
    host = parts.hostname
    if "tile-subdomain" in host:
        host = "*." + host.split("tile-subdomain", 1)[1].lstrip(".")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def map_config(settings: Settings) -> dict[str, Any]:
    """What `GET /api/command/map-config` tells the PWA."""
    return {
        "tile_url": settings.map_tile_url,
        "crs": settings.map_crs,
        "tile_origin": tile_origin(settings.map_tile_url),
        # the demo outlines are drawn, not surveyed: the map says so when it shows them
        "boundaries_endpoint": "/api/command/boundaries",
    }
