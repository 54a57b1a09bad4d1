"""A lean copy of the CJK font, so a document renders in tens of milliseconds.

fpdf2 parses the whole font file for every document it embeds it in; for a 5 MB collection of
30,000 glyphs that alone takes several hundred milliseconds, most of it decoding glyph tables
the document never uses.  Once per font we therefore write a TrueType subset holding ASCII,
Latin-1, the punctuation and full-width forms Chinese text uses, circled numbers and every
character of GB 2312 (the 6,763 hanzi that cover nearly all modern text), and render with that.
A document holding a character outside it (a rare character in a name) is rendered with the
full font instead: slower, never wrong.

The subset is cached under `DOORSTEP_DATA_DIR/cache/fonts/`, named by the source font's path,
size and time, and written atomically, so app servers sharing a data directory build it once.
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from server.documents.fonts import CjkFont, find_cjk_font
from server.settings import get_settings

_RANGES = (
    (0x20, 0x7F),  # ASCII
    (0xA0, 0x100),  # Latin-1 (·, ×, ° in terms)
    (0x2000, 0x2070),  # general punctuation: — ‘ ’ “ ” … ‰
    (0x2100, 0x2200),  # letterlike symbols, number forms (℃, Ⅰ)
    (0x2460, 0x24A0),  # circled numbers ①
    (0x3000, 0x3040),  # CJK symbols and punctuation: 、。《》「」【】
    (0xFF00, 0xFFF0),  # full-width forms: ，：（）
)
_lock = threading.Lock()


def lean_charset() -> frozenset[int]:
    chars = {c for low, high in _RANGES for c in range(low, high)}
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((first, second)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


def _cache_path(font: CjkFont) -> Path:
    digest = hashlib.sha256(font.key.encode()).hexdigest()[:16]
    return get_settings().data_dir / "cache" / "fonts" / f"cjk-lean-{digest}.ttf"


def _build(font: CjkFont, target: Path) -> None:
    source = TTFont(str(font.path), fontNumber=font.index, recalcTimestamp=False)
    options = subset.Options()
    options.glyph_names = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.hinting = False
    options.layout_features = []
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=lean_charset())
    subsetter.subset(source)
    source["post"].formatType = 3.0  # no glyph names: nothing to decode on every load
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{threading.get_ident()}.part")
    source.save(str(partial))
    partial.replace(target)


@lru_cache(maxsize=4)
def _lean_font(key: str) -> tuple[Path, frozenset[int]]:
    font = find_cjk_font()
    target = _cache_path(font)
    with _lock:
        if not target.is_file():
            _build(font, target)
    built = TTFont(str(target), lazy=True)
    try:
        covered = frozenset(built.getBestCmap() or {})
    finally:
        built.close()
    return target, covered


def font_for(text: str) -> CjkFont:
    """The font file to embed for a document whose text is `text`: the lean subset when it
    draws every character, the full font otherwise."""
    font = find_cjk_font()
    path, covered = _lean_font(font.key)
    if all(ord(ch) in covered for ch in text if not ch.isspace()):
        return CjkFont(path, 0)
    return font


def forget() -> None:
    _lean_font.cache_clear()
