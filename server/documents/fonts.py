"""Which CJK font a PDF embeds, found on the system rather than shipped in the repository.

fpdf2 embeds TrueType outlines (`glyf`) as a proper CIDFontType2 with a ToUnicode map, so the
text of the PDF can be searched, copied and read back by a PDF text extractor.  The Noto CJK
fonts Debian ships (fonts-noto-cjk) are CFF-flavoured OpenType collections: fpdf2 embeds them,
but the text then extracts with a NUL before every character, so a printed agreement could not
be checked against its record by copying its text.  We therefore take the first font that has
`glyf` outlines and covers common Chinese, in this order:

1. `DOORSTEP_CJK_FONT` (a path, optionally `path#index` for a font inside a collection);
2. WenQuanYi Micro Hei (Debian/Ubuntu `fonts-wqy-microhei`; installed by tests/run.sh and
   server/deploy/Dockerfile), WenQuanYi Zen Hei, Droid Sans Fallback, AR PL UMing;
3. any other `.ttf`/`.ttc` under the usual font directories that passes the same checks.

When none is installed, rendering fails with 503 `font_missing` naming the package to install:
a document without its Chinese text would be worse than no document.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from server.http.errors import ApiError

#: the package that provides the preferred font (named in errors and in the setup scripts)
FONT_PACKAGE = "fonts-wqy-microhei"

KNOWN_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    # Alpine, Fedora and Homebrew spellings of the same packages
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/wqy-microhei-fonts/wqy-microhei.ttc", 0),
)
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/opt/homebrew/share/fonts")
#: characters a font must draw to be used: the document's own title and a common name
PROBE = "人民调解协议书张王李签名年月日"


@dataclass(frozen=True, slots=True)
class CjkFont:
    """A font file (and its index inside a .ttc collection) that can draw Chinese."""

    path: Path
    index: int = 0

    @property
    def key(self) -> str:
        stat = self.path.stat()
        return f"{self.path}#{self.index}:{stat.st_size}:{int(stat.st_mtime)}"


class FontMissing(ApiError):
    """No usable CJK font is installed: 503, naming the package that provides one."""

    def __init__(self) -> None:
        super().__init__(
            503,
            "font_missing",
            f"服务器未安装中文字体，无法生成文档；请安装 {FONT_PACKAGE}（apt-get install "
            f"{FONT_PACKAGE}）或设置 DOORSTEP_CJK_FONT。 (No CJK font with TrueType outlines is "
            f"installed; install the {FONT_PACKAGE} package or set DOORSTEP_CJK_FONT.)",
            {"package": FONT_PACKAGE, "env": "DOORSTEP_CJK_FONT"},
        )


def usable(path: Path, index: int = 0) -> bool:
    """Whether fpdf2 can embed this font with extractable Chinese text: TrueType outlines
    (`glyf`, not CFF) and glyphs for the probe characters."""
    try:
        font = TTFont(str(path), fontNumber=index, lazy=True)
        try:
            if "glyf" not in font:
                return False
            cmap = font.getBestCmap() or {}
            return all(ord(ch) in cmap for ch in PROBE)
        finally:
            font.close()
    except (OSError, TTLibError, AssertionError, KeyError, ValueError):
        return False


def _from_env() -> CjkFont | None:
    raw = os.environ.get("DOORSTEP_CJK_FONT")
    if not raw:
        return None
    path, _, index = raw.partition("#")
    return CjkFont(Path(path), int(index) if index.isdigit() else 0)


def _scan() -> list[CjkFont]:
    found: list[CjkFont] = []
    for root in FONT_DIRS:
        if not os.path.isdir(root):
            continue
        for dirpath, _dirs, files in os.walk(root):
            for name in sorted(files):
                if name.lower().endswith((".ttf", ".ttc")):
                    found.append(CjkFont(Path(dirpath) / name))
    return found


@lru_cache(maxsize=1)
def _discover() -> CjkFont | None:
    configured = _from_env()
    if configured is not None:
        return configured if usable(configured.path, configured.index) else None
    known = [CjkFont(Path(p), i) for p, i in KNOWN_FONTS]
    for candidate in [*known, *_scan()]:
        if candidate.path.is_file() and usable(candidate.path, candidate.index):
            return candidate
    return None


def find_cjk_font() -> CjkFont:
    """The CJK font documents embed; raises `FontMissing` (503) when none is installed.

    The answer is kept for the process's life; `server.documents.forget_fonts()` asks again
    (tests, or after installing a font into a running server)."""
    font = _discover()
    if font is None:
        raise FontMissing()
    return font


def forget_font() -> None:
    _discover.cache_clear()
