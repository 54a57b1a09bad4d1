"""The READMEs (the repository's and its folders') and docs/*.md cite files that exist.

A doc that names a moved or renamed file sends the next engineer looking for nothing (the README
once named `tests/server/test_compose.py` for tests/server/test_processes.py).  Every relative
link, and every word in an inline code span that looks like a repository path (it holds a `/`,
and is not a URL, a route or a placeholder), must name a file or folder of the repository.

A path is looked up from the repository root, from the doc's own folder, and from `server/` and
`sync/` (docs/architecture.md names server modules as `replication/store.py`).  A dotted tail
names something inside a module: `replication/services.push_batch` needs
`replication/services.py` and the name `push_batch` in it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted(ROOT.glob("*/README.md")),
]
BASES = (Path("."), Path("server"), Path("sync"))

_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
# not a repository path: URLs, routes (also the app's `#/orders`), placeholders, globs, IPv6
# networks (`64:ff9b::/96`), and the built or local-only folders .gitignore keeps out of a clone
_NOT_A_PATH = re.compile(
    r"://|::|^/|^~|^#|[{}<>$*|=]|(^|/)(\.venv|venv|var|dist|build|node_modules|test-artifacts)(/|$)"
)


def _candidates(text: str) -> list[tuple[int, str, bool]]:
    """(line, path, is_link) for each link and path-like code word, outside fenced blocks."""
    text = _FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for target in _LINK.findall(line):
            if not re.match(r"[a-z]+:|#", target):
                found.append((number, target.split("#", 1)[0], True))
        for span in _CODE_SPAN.findall(line):
            for word in span.split():
                word = word.lstrip("('\"").rstrip(".,;:)'\"").removeprefix("./")
                if "/" in word and not _NOT_A_PATH.search(word):
                    found.append((number, word, False))
    return found


def _exists(doc: Path, path: str, is_link: bool) -> bool:
    if is_link:
        return (doc.parent / path).exists()
    for base in (doc.parent.relative_to(ROOT), *BASES):
        if (ROOT / base / path).exists():
            return True
        # `package/module.attribute`: the module file exists and defines the name
        head, _, rest = path.rpartition("/")
        module, dot, attribute = rest.partition(".")
        source = ROOT / base / head / f"{module}.py"
        if dot and attribute and source.is_file():
            name = attribute.split(".")[0]
            return re.search(rf"\b{re.escape(name)}\b", source.read_text()) is not None
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_cites_files_that_exist(doc: Path) -> None:
    missing = [
        f"{doc.relative_to(ROOT)}:{line}: {path}"
        for line, path, is_link in _candidates(doc.read_text())
        if not _exists(doc, path, is_link)
    ]
    assert not missing, "docs name files that do not exist:\n" + "\n".join(missing)


def test_the_check_finds_a_missing_file() -> None:
    """The scanner itself: a made-up path fails, real ones and non-paths pass."""
    doc = ROOT / "docs" / "example.md"
    text = (
        "See `tests/server/test_compose.py`, [gone](gone.md), `replication/services.no_such`,\n"
        "`bash tests/run.sh`, [sync](sync.md), `replication/services.push_batch`, `bench/`,\n"
        "`GET /api/sync/pull`, `sqlite:///path`, `{id}/x`, [site](https://example.org/a/b),\n"
        "`pwa/dist/index.html`, `#/orders`, `(see ../tests/pwa/)`.\n"
    )
    missing = [path for _, path, link in _candidates(text) if not _exists(doc, path, link)]
    assert sorted(missing) == [
        "gone.md",
        "replication/services.no_such",
        "tests/server/test_compose.py",
    ]
