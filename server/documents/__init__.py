"""Printable documents (PDF) rendered on the server: A4 pages with an embedded CJK font.

`fonts.py` finds a CJK font installed on the system (and says which package to install when
none is), `pdf.py` is the page every document starts from.  The mediation agreement
(`server/agreements/document.py`) and the residents' station poster build on them.
"""

from server.documents.fonts import CjkFont, FontMissing, find_cjk_font
from server.documents.pdf import A4Document, pdf_bytes

__all__ = ["A4Document", "CjkFont", "FontMissing", "find_cjk_font", "pdf_bytes"]
