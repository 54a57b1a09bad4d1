"""The agreement as a printable A4 PDF (人民调解协议书): title, number, parties, facts, numbered
terms, each party's signature image, mediator, mediation organisation, date and, in the footer
of every page, the SHA-256 of the canonical content (server/agreements/content.py)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.documents import A4Document, pdf_bytes
from server.documents.pdf import FAMILY

SHANGHAI = ZoneInfo("Asia/Shanghai")
TITLE = "人民调解协议书"
#: numbering a user may have typed before a term ("1.", "1、", "（1）", "一、", "第一条")
_TYPED_NUMBER = re.compile(
    r"^\s*(第[一二三四五六七八九十百零〇0-9]+条|[0-9]+\s*[.、．)）]|[（(][0-9]+[)）]"
    r"|[一二三四五六七八九十]+\s*、)\s*"
)
CLOSING = (
    "本协议经各方当事人签名、人民调解员签名并加盖人民调解委员会印章后生效。"
    "当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。"
)


@dataclass(slots=True)
class AgreementView:
    """Everything the document prints, gathered by the service before layout."""

    agreement_id: str
    fields: dict[str, Any]
    content_sha256: str
    community_name: str
    dispute_title: str
    mediator_name: str
    #: signature image bytes by attachment hash (absent: not uploaded yet)
    images: dict[str, bytes] = field(default_factory=dict)
    printed_at: datetime | None = None


def split_terms(terms: str) -> list[str]:
    """One term per non-empty line, without the numbering the user typed (we number them)."""
    out = []
    for line in terms.splitlines():
        text = _TYPED_NUMBER.sub("", line).strip()
        if text:
            out.append(text)
    return out


def chinese_date(value: str | datetime | None) -> str:
    if value is None:
        return ""
    moment = (
        value
        if isinstance(value, datetime)
        else datetime.fromisoformat(value.replace("Z", "+00:00"))
    )
    local = moment.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日"


def party_line(party: dict[str, Any]) -> str:
    role = str(party.get("role") or "当事人")
    line = f"{role}：{party.get('name', '')}"
    if party.get("id_number_last4"):
        line += f"（身份证号码后四位：{party['id_number_last4']}）"
    return line


def render_agreement(view: AgreementView) -> bytes:
    fields = view.fields
    parties = list(fields.get("parties") or [])
    terms = split_terms(str(fields.get("terms") or ""))
    facts = str(fields.get("facts") or "")
    signatures = {s.get("party_name"): s for s in fields.get("signatures") or []}
    date = chinese_date(fields.get("signed_at") or view.printed_at)
    organisation = f"{view.community_name}人民调解委员会"
    footer = f"内容校验 SHA-256：{view.content_sha256}"
    every_text = "".join(
        [
            TITLE,
            view.agreement_id,
            view.dispute_title,
            view.mediator_name,
            organisation,
            facts,
            CLOSING,
            date,
            *terms,
            *(party_line(p) for p in parties),
            "编号纠纷当事人基本情况事实争议协议内容签名尚未上传人民调解员调解组织日期时间：（）",
        ]
    )
    doc = A4Document(every_text, footer)
    doc.set_title(TITLE)
    doc.add_page()
    width = doc.epw

    doc.set_font(FAMILY, size=20)
    doc.cell(width, 14, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font(FAMILY, size=9)
    doc.cell(width, 6, f"编号：{view.agreement_id}", align="R", new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)

    def heading(text: str) -> None:
        doc.ln(2)
        doc.set_font(FAMILY, size=13)
        doc.cell(width, 9, text, new_x="LMARGIN", new_y="NEXT")
        doc.set_font(FAMILY, size=11)

    def paragraph(text: str) -> None:
        doc.multi_cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")

    heading("一、当事人基本情况")
    for party in parties:
        paragraph(party_line(party))
    heading("二、纠纷事实及争议")
    if view.dispute_title:
        paragraph(f"纠纷：{view.dispute_title}")
    paragraph(facts or "（未填写）")
    heading("三、协议内容")
    for number, term in enumerate(terms, start=1):
        paragraph(f"{number}. {term}")
    paragraph(CLOSING)
    heading("四、当事人签名")
    for party in parties:
        _signature_block(doc, view, party, signatures.get(party.get("name")))
    doc.ln(4)
    paragraph(f"人民调解员：{view.mediator_name or '（未指定）'}")
    paragraph(f"调解组织：{organisation}")
    paragraph(f"日期：{date}")
    return pdf_bytes(doc)


SIGNATURE_HEIGHT = 18.0


def _signature_block(
    doc: A4Document, view: AgreementView, party: dict[str, Any], signature: dict[str, Any] | None
) -> None:
    if doc.get_y() + SIGNATURE_HEIGHT + 8 > doc.page_break_trigger:
        doc.add_page()
    doc.set_font(FAMILY, size=11)
    label = f"{party.get('role') or '当事人'}（签名）：{party.get('name', '')}"
    top = doc.get_y()
    doc.cell(70, 8, label)
    image = view.images.get(str(signature.get("attachment"))) if signature else None
    if image is not None:
        doc.image(
            io.BytesIO(image),
            x=doc.l_margin + 72,
            y=top,
            w=48,
            h=SIGNATURE_HEIGHT,
            keep_aspect_ratio=True,
        )
        when = chinese_date(signature.get("signed_at") if signature else None)
        doc.set_xy(doc.l_margin + 72 + 50, top)
        doc.set_font(FAMILY, size=9)
        doc.cell(0, 8, f"时间：{when}")
    else:
        doc.cell(0, 8, "（签名图片尚未上传）" if signature else "（未签名）")
    doc.set_xy(doc.l_margin, top + SIGNATURE_HEIGHT + 2)
