"""Issue 15, the document: `GET /api/agreements/{id}/document.pdf` is an A4 PDF whose text
(read back with pypdf) holds the title, the parties, every term, the mediator, the community
and the footer hash; the hash equals the SHA-256 of the canonical content recomputed here
from the synced record (docs/agreements.md); the CJK font and the signature images are
embedded."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from typing import Any

import pytest
from pypdf import PdfReader

from server.documents import forget_fonts
from tests.server.agreements.support import PARTIES, dispute_with_parties, signed_agreement
from tests.server.documents.test_documents import embedded_font_files
from tests.server.replication.support import as_user, assert_error, record_of

pytestmark = pytest.mark.usefixtures("database")

TERMS_TYPED = [
    "李四于2027年1月31日前向张三支付修缮费人民币3000元。",
    "李四向张三赔礼道歉。",
    "双方不再就此事发生争议。",
]


def recomputed_hash(agreement_id: str, fields: dict[str, Any]) -> str:
    """The canonical content as docs/agreements.md defines it, written out independently."""
    content = {
        "agreement_id": agreement_id,
        "dispute_id": fields["dispute_id"],
        "parties": sorted(fields["parties"], key=lambda p: p["name"]),
        "facts": fields.get("facts") or "",
        "terms": fields.get("terms") or "",
        "mediator_id": fields.get("mediator_id"),
        "signatures": sorted(fields["signatures"], key=lambda s: s["party_name"]),
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def page_text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def image_count(reader: PdfReader) -> int:
    return sum(len(page.images) for page in reader.pages)


async def test_the_pdf_holds_the_agreement_and_its_hash(client: Any) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    agreement_id, record = await signed_agreement(lawyer, await dispute_with_parties(grid_worker))
    response = await lawyer.get(f"/api/agreements/{agreement_id}/document.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = page_text(reader)
    compact = text.replace(" ", "").replace("\n", "")

    assert "人民调解协议书" in text
    for party in PARTIES:
        assert party["name"] in text
        assert party["id_number_last4"] in text
    for number, term in enumerate(TERMS_TYPED, start=1):
        assert f"{number}.{term}" in compact, (term, text)
    assert "驻社区律师 陈敏（演示）" in text  # the mediator
    assert "光明示范社区01（演示）人民调解委员会" in compact
    assert "张三家楼上李四家装修" in compact  # the facts

    fields = (await record_of(lawyer, "agreements", agreement_id) or record)["fields"]
    expected = recomputed_hash(agreement_id, fields)
    assert fields["content_sha256"] == expected
    assert f"SHA-256：{expected}" in compact
    # print-ready A4, fonts embedded, both signatures drawn
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert embedded_font_files(reader) and set(embedded_font_files(reader)) == {"/FontFile2"}
    assert image_count(reader) == 2


async def test_unknown_and_malformed_ids(client: Any) -> None:
    lawyer = await as_user(client, "lawyer.a")
    assert_error(await lawyer.get(f"/api/agreements/{uuid.uuid4()}/document.pdf"), 404, "not_found")
    response = await lawyer.get("/api/agreements/not-a-uuid/document.pdf")
    assert response.status_code in (400, 404), response.text
    assert "error" in response.json()
    response = await client.get(f"/api/agreements/{uuid.uuid4()}/document.pdf")
    assert response.status_code == 401


async def test_no_cjk_font_is_a_503_naming_the_package(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    agreement_id, _ = await signed_agreement(lawyer, await dispute_with_parties(grid_worker))
    monkeypatch.setenv("DOORSTEP_CJK_FONT", "/nonexistent/font.ttf")
    forget_fonts()
    try:
        error = assert_error(
            await lawyer.get(f"/api/agreements/{agreement_id}/document.pdf"), 503, "font_missing"
        )
        assert "fonts-wqy-microhei" in error["message"]
    finally:
        monkeypatch.delenv("DOORSTEP_CJK_FONT")
        forget_fonts()
    assert (await lawyer.get(f"/api/agreements/{agreement_id}/document.pdf")).status_code == 200
