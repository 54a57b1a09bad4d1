"""The notify package's modules depend on each other in one direction only (issue 9): no import
cycle, counting the imports made inside functions too, which only hide a cycle."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import server.notify

PACKAGE = Path(server.notify.__file__).parent
#: the package's public face imports from every layer; no module may import it back
FACADE = "__init__"


def module_imports(path: Path, modules: set[str]) -> set[str]:
    """The sibling modules `path` imports, wherever in the file the import is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name == "server.notify":
                found.add(FACADE)
            elif name.startswith("server.notify."):
                first = name.split(".")[2]
                if first in modules:
                    found.add(first)
    return found


def notify_graph() -> dict[str, set[str]]:
    files = {p.stem: p for p in PACKAGE.glob("*.py") if p.stem not in (FACADE, "piccolo_app")}
    modules = set(files)
    return {name: module_imports(path, modules) - {name} for name, path in files.items()}


def test_no_module_imports_the_package_facade() -> None:
    offenders = sorted(name for name, deps in notify_graph().items() if FACADE in deps)
    assert offenders == []


def test_notify_modules_form_no_import_cycle() -> None:
    graph = {name: deps - {FACADE} for name, deps in notify_graph().items()}
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle in server/notify: {exc.args[1]}") from exc
    # the layers, bottom first, for whoever reads a failure
    assert order.index("tables") < order.index("delivery") < order.index("services")
