"""Every collection has one home: no collection name appears in the generic layers.

`server/replication/` and `server/permissions.py` look collections up in the spec registry
(server/specs.py); a collection name written there would be a rule without a home.  Names are
looked for in the code (string constants and identifiers), not in comments or docstrings.
"""

from __future__ import annotations

import ast
from pathlib import Path

from server import specs

ROOT = Path(__file__).resolve().parents[3]
GENERIC_FILES = sorted(
    [
        ROOT / "server" / "permissions.py",
        *(
            path
            for path in (ROOT / "server" / "replication").rglob("*.py")
            if "piccolo_migrations" not in path.parts
        ),
    ]
)


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def names_in(path: Path, collections: set[str], root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings:
                continue
            text = node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        if text is None:
            continue
        for name in collections:
            if text == name or f'"{name}"' in text or f"'{name}'" in text:
                found.append(f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}: {name!r}")
    return found


def test_every_collection_is_registered_once() -> None:
    names = specs.names()
    assert len(names) == len(set(names))
    assert {"disputes", "dispatch_orders", "conflicts", "users"} <= set(names)


def test_generic_layers_name_no_collection() -> None:
    collections = set(specs.names())
    assert len(GENERIC_FILES) > 10, "the generic layers moved: update this test"
    found = [hit for path in GENERIC_FILES for hit in names_in(path, collections)]
    assert not found, "collection names in the generic layers:\n" + "\n".join(found)


def test_the_checker_sees_a_collection_name(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""disputes in a docstring are fine"""\nif c == "disputes":\n    pass\n')
    assert names_in(sample, {"disputes"}, tmp_path) == ["sample.py:2: 'disputes'"]
