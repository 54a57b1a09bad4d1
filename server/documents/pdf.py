"""The page every document starts from: A4 portrait, print margins, the CJK font registered
as family `cjk`, page numbers and an optional footer line on every page.

A document is laid out by a builder (`server/agreements/document.py`) that calls the usual
fpdf2 methods on an `A4Document`; `pdf_bytes` gives the finished file.  fpdf2 is pure Python
and CPU-bound, so callers in a request render with `asyncio.to_thread`.
"""

from __future__ import annotations

from fpdf import FPDF

from server.documents.lean import font_for

FAMILY = "cjk"
#: print margins in millimetres (a punch-hole and binding margin on the left)
MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT, MARGIN_BOTTOM = 25.0, 20.0, 20.0, 22.0


class A4Document(FPDF):
    """An A4 page with the CJK font embedded (subset to the glyphs used) and a footer.

    `text` is every string the document will print, known before layout, so the font that
    covers all of it is chosen once (see `server/documents/lean.py`)."""

    def __init__(self, text: str, footer_text: str = "") -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        font = font_for(text + footer_text + "第页共0123456789/")
        self.add_font(FAMILY, "", str(font.path), collection_font_number=font.index)
        self.set_margins(MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT)
        self.set_auto_page_break(auto=True, margin=MARGIN_BOTTOM)
        self.set_creator("Doorstep 家门口")
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-MARGIN_BOTTOM + 6)
        self.set_font(FAMILY, size=7.5)
        self.set_text_color(90, 90, 90)
        if self.footer_text:
            self.cell(0, 4, self.footer_text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 4, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")
        self.set_text_color(0, 0, 0)


def pdf_bytes(document: FPDF) -> bytes:
    return bytes(document.output())
