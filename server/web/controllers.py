"""The PWA's files from `pwa/dist`: hashed assets cached forever, the service worker and the
app shell never cached (so an update is never trapped behind an old version)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File

PWA_DIST = Path(__file__).resolve().parents[2] / "pwa" / "dist"
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"

mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


def _file(path: Path, cache: str) -> File:
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return File(
        path=path,
        media_type=media_type,
        headers={"Cache-Control": cache},
        content_disposition_type="inline",
    )


def _resolve(relative: str) -> Path:
    base = PWA_DIST.resolve()
    target = (base / relative).resolve()
    if base not in target.parents or not target.is_file():
        raise NotFoundException()
    return target


@get("/", include_in_schema=False, sync_to_thread=False)
def index() -> Response[str] | File:
    page = PWA_DIST / "index.html"
    if not page.is_file():
        return Response(
            "<!doctype html><meta charset=utf-8><title>家门口 Doorstep</title>"
            "<p>家门口 Doorstep 服务器已运行。前端尚未构建：请运行 <code>npm --prefix pwa ci && "
            "npm --prefix pwa run build</code>。</p><p>The server is running; the PWA has not "
            "been built.</p>",
            media_type="text/html",
            headers={"Cache-Control": NO_CACHE},
        )
    return _file(page, NO_CACHE)


@get("/assets/{path:path}", include_in_schema=False, sync_to_thread=False)
def asset(path: FromPath[str]) -> File:
    return _file(_resolve("assets/" + path.lstrip("/")), IMMUTABLE)


@get("/{name:str}", include_in_schema=False, sync_to_thread=False)
def root_file(name: FromPath[str]) -> File:
    """sw.js, the manifest, icons: files at the root of the build."""
    return _file(
        _resolve(name), NO_CACHE if not name.startswith("icon") else "public, max-age=86400"
    )
