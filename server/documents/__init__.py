"""Printable documents (PDF) rendered on the server: A4 pages with an embedded CJK font.

`fonts.py` finds a CJK font installed on the system (and says which package to install when
none is), `pdf.py` is the page every document starts from.  The mediation agreement
(`server/agreements/document.py`) and the residents' station poster build on them.
"""

from server.documents import lean
from server.documents.fonts import CjkFont, FontMissing, find_cjk_font, forget_font
from server.documents.pdf import A4Document, pdf_bytes


def forget_fonts() -> None:
    """Look for the CJK font again on the next document (and rebuild its lean copy)."""
    forget_font()
    lean.forget()


__all__ = ["A4Document", "CjkFont", "FontMissing", "find_cjk_font", "forget_fonts", "pdf_bytes"]
