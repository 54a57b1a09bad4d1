"""A station's A4 poster (`GET /api/public/stations/{code}/poster.pdf`): the station's name, the
five services and a QR code that opens the appeal form for that station.

The QR code is made by segno (error correction M, so a scuffed poster still scans) and placed as
a PNG; the page is `server/documents/`' A4 base with the CJK font embedded.
"""

from __future__ import annotations

import asyncio
import io
from urllib.parse import quote

import segno

from server.documents import A4Document, pdf_bytes
from server.documents.pdf import FAMILY
from server.http.errors import ApiError
from server.org.tree import OrgTree, Unit

SERVICES = "纠纷化解 · 公共法律 · 社会心理 · 投诉建议 · 帮扶救助"
HEADLINE = "有诉求，扫一扫"
HINT = "无需注册 · 提交后获得查询码，可随时查看办理进度"


def appeal_url(base: str, station_code: str) -> str:
    """The address the QR code holds: the public appeal form, knowing its station."""
    return f"{base.rstrip('/')}/#/public/appeal?station={quote(station_code, safe='.')}"


def find_station(tree: OrgTree, code: str) -> tuple[Unit, Unit | None]:
    station = next((u for u in tree.units.values() if u.code == code), None)
    if station is None or station.kind != "station":
        raise ApiError(404, "not_found", "没有这个服务站点 (no such station)")
    community = tree.get(tree.nearest(station.id, "community"))
    return station, community


def render(station: Unit, community: Unit | None, url: str) -> bytes:
    qr = segno.make(url, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=12, border=4)
    png.seek(0)
    place = community.name if community else ""
    title = f"{place} {station.name}".strip()
    doc = A4Document(title + SERVICES + HEADLINE + HINT + "群众诉求服务家门口" + url)
    doc.set_title(f"{title} 二维码海报")
    doc.add_page()
    width = doc.w - doc.l_margin - doc.r_margin
    doc.set_font(FAMILY, size=30)
    doc.multi_cell(width, 14, title, align="C", new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    doc.set_font(FAMILY, size=16)
    doc.cell(width, 10, "群众诉求服务 · 家门口", align="C", new_x="LMARGIN", new_y="NEXT")
    doc.ln(6)
    side = 110.0
    doc.image(png, x=(doc.w - side) / 2, y=doc.get_y(), w=side, h=side)
    doc.set_y(doc.get_y() + side + 6)
    doc.set_font(FAMILY, size=24)
    doc.cell(width, 12, HEADLINE, align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font(FAMILY, size=13)
    doc.cell(width, 9, SERVICES, align="C", new_x="LMARGIN", new_y="NEXT")
    doc.cell(width, 9, HINT, align="C", new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    doc.set_font(FAMILY, size=8)
    doc.multi_cell(width, 4, url, align="C")
    return pdf_bytes(doc)


async def poster(tree: OrgTree, code: str, base: str) -> bytes:
    station, community = find_station(tree, code)
    return await asyncio.to_thread(render, station, community, appeal_url(base, station.code))
