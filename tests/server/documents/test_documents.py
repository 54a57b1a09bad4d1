"""server/documents: the CJK font is found, embedded (subset, TrueType outlines) and its text
reads back; a missing font is a clear 503 naming the package to install."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from server.documents import A4Document, FontMissing, find_cjk_font, forget_fonts, pdf_bytes
from server.documents.fonts import FONT_PACKAGE
from server.documents.lean import font_for
from server.documents.pdf import FAMILY


@pytest.fixture
def fresh_font_choice() -> Iterator[None]:
    forget_fonts()
    yield
    forget_fonts()


def render(text: str, footer: str = "") -> PdfReader:
    doc = A4Document(text, footer)
    doc.add_page()
    doc.set_font(FAMILY, size=12)
    doc.multi_cell(0, 8, text)
    return PdfReader(io.BytesIO(pdf_bytes(doc)))


def embedded_font_files(reader: PdfReader) -> list[str]:
    """The font-file kinds embedded for the page's fonts (/FontFile2: TrueType outlines)."""
    kinds: list[str] = []
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font: Any = ref.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                kinds += [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
    return kinds


def test_chinese_text_is_embedded_and_reads_back() -> None:
    reader = render("人民调解协议书：甲方张三，乙方李四。", footer="SHA-256: abc")
    text = reader.pages[0].extract_text()
    assert "人民调解协议书：甲方张三，乙方李四。" in text
    assert "SHA-256: abc" in text
    assert "第 1 页 / 共 1 页" in text
    assert embedded_font_files(reader) == ["/FontFile2"]  # TrueType outlines, embedded
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points


def test_a_rare_character_falls_back_to_the_full_font() -> None:
    full = find_cjk_font()
    assert font_for("张三") != full  # the lean subset
    rare = "㐀"  # CJK extension A: outside GB 2312 and the lean subset
    if ord(rare) not in _cmap(full):
        rare = next(ch for ch in "玥堃喆旻" if ord(ch) in _cmap(full) and ch not in _gb2312(ch))
    assert font_for("张" + rare) == full
    assert rare in render("当事人：张" + rare).pages[0].extract_text()


def _cmap(font: object) -> dict[int, str]:
    from fontTools.ttLib import TTFont

    path, index = font.path, font.index  # type: ignore[attr-defined]
    return TTFont(str(path), fontNumber=index, lazy=True).getBestCmap() or {}


def _gb2312(ch: str) -> str:
    try:
        ch.encode("gb2312")
        return ch
    except UnicodeEncodeError:
        return ""


def test_no_cjk_font_is_a_503_naming_the_package(
    fresh_font_choice: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    latin_only = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    monkeypatch.setenv("DOORSTEP_CJK_FONT", str(latin_only if latin_only.exists() else tmp_path))
    with pytest.raises(FontMissing) as caught:
        find_cjk_font()
    assert caught.value.status_code == 503
    assert caught.value.code == "font_missing"
    assert FONT_PACKAGE in caught.value.message
    assert caught.value.details["package"] == FONT_PACKAGE


def test_a_configured_font_is_used(
    fresh_font_choice: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = find_cjk_font()
    forget_fonts()
    monkeypatch.setenv("DOORSTEP_CJK_FONT", f"{found.path}#{found.index}")
    assert find_cjk_font() == found
