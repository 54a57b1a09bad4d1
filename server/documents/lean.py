"""Lean copies of the CJK font, so a document renders in tens of milliseconds.

fpdf2 parses the whole font file for every document it embeds it in, and the cost grows with
the number of glyphs: for a 5 MB collection of 30,000 glyphs that alone takes several hundred
milliseconds, most of it decoding glyph tables the document never uses.  Once per font we
therefore write two TrueType subsets, each holding ASCII, Latin-1, the punctuation and
full-width forms Chinese text uses and circled numbers, plus:

- `common`: the 3,755 hanzi of GB 2312 level 1 (the most frequent characters);
- `gb2312`: all 6,763 hanzi of GB 2312 (nearly all modern text);

and a document is rendered with the smallest one that draws every character it holds.  A
character outside both (a rare character in a name) takes the full font: slower, never wrong.

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


#: GB 2312 rows (first byte) of each tier: symbols A1-A9, level-1 hanzi B0-D7, level-2 D8-F7
TIERS = {"common": (0xA1, 0xD8), "gb2312": (0xA1, 0xF8)}


def lean_charset(tier: str = "gb2312") -> frozenset[int]:
    chars = {c for low, high in _RANGES for c in range(low, high)}
    rows = TIERS[tier]
    for first in range(*rows):
        for second in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((first, second)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


def _cache_path(font: CjkFont, tier: str) -> Path:
    digest = hashlib.sha256(font.key.encode()).hexdigest()[:16]
    return get_settings().data_dir / "cache" / "fonts" / f"cjk-{tier}-{digest}.ttf"


def _build(font: CjkFont, tier: str, target: Path) -> None:
    source = TTFont(str(font.path), fontNumber=font.index, recalcTimestamp=False)
    options = subset.Options()
    options.glyph_names = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.hinting = False
    options.layout_features = []
    options.drop_tables += ["FFTM"]  # FontForge's timestamp: nothing to subset, only a log line
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=lean_charset(tier))
    subsetter.subset(source)
    source["post"].formatType = 3.0  # no glyph names: nothing to decode on every load
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{threading.get_ident()}.part")
    source.save(str(partial))
    partial.replace(target)


@lru_cache(maxsize=8)
def _lean_font(key: str, tier: str) -> tuple[Path, frozenset[int]]:
    font = find_cjk_font()
    target = _cache_path(font, tier)
    with _lock:
        if not target.is_file():
            _build(font, tier, target)
    built = TTFont(str(target), lazy=True)
    try:
        covered = frozenset(built.getBestCmap() or {})
    finally:
        built.close()
    return target, covered


def font_for(text: str) -> CjkFont:
    """The font file to embed for a document whose text is `text`: the smallest lean subset
    that draws every character, the full font when none does."""
    font = find_cjk_font()
    wanted = {ord(ch) for ch in text if not ch.isspace()}
    for tier in TIERS:
        path, covered = _lean_font(font.key, tier)
        if wanted <= covered:
            return CjkFont(path, 0)
    return font


def forget() -> None:
    _lean_font.cache_clear()
