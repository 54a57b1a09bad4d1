"""The import graph of `server` and `sync` has no cycle, and the generic layers import no domain.

The graph is grimp's (the library import-linter uses): every import statement, function-local
ones included.  Imports under `if TYPE_CHECKING:` are left out: they never run, and the spec type
names the working set it hands to hooks that way (server/specs.py).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping

import grimp
import pytest

#: domain packages: they build on the generic layers, never the other way round
DOMAINS = (
    "server.disputes",
    "server.consultations",
    "server.psych",
    "server.dispatch",
    "server.warnings",
    "server.inbox",
    "server.conflicts",
    "server.volunteers",
    "server.incentives",
    "server.domains",
)
#: the layers every domain builds on; they find domains through the spec registry only
GENERIC = ("sync", "server.specs", "server.permissions", "server.replication", "server.db")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("server", "sync", exclude_type_checking_imports=True)


def strongly_connected(nodes: Iterable[str], edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that import each other in a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in edges.get(v, ()):
                found.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for node in sorted(nodes):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return found


def describe(graph: grimp.ImportGraph, group: list[str]) -> str:
    """One cycle of the group, as `a -> b -> ... -> a` with the importing lines."""
    lines = []
    for importer in group:
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported in group:
                details = graph.get_import_details(importer=importer, imported=imported)
                where = ", ".join(f"line {d['line_number']}" for d in details)
                lines.append(f"  {importer} -> {imported} ({where})")
    return "\n".join(lines)


def test_the_import_graph_has_no_cycle(graph: grimp.ImportGraph) -> None:
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    cycles = strongly_connected(graph.modules, edges)
    assert not cycles, "import cycles:\n" + "\n\n".join(describe(graph, group) for group in cycles)


def test_the_cycle_finder_finds_cycles() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert strongly_connected(edges, edges) == [["a", "b", "c"], ["e"]]


def test_generic_layers_import_no_domain(graph: grimp.ImportGraph) -> None:
    """`replication` ↔ `events` was a cycle: the generic layers now look domains up in the spec
    registry (server/specs.py), which `server.domains` fills."""
    wrong = []
    for module in sorted(graph.modules):
        if not any(module == g or module.startswith(g + ".") for g in GENERIC):
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            is_domain = any(imported == d or imported.startswith(d + ".") for d in DOMAINS)
            if is_domain or imported.endswith(".spec"):
                wrong.append(f"{module} -> {imported}")
    assert not wrong, "generic layers importing a domain:\n" + "\n".join(wrong)


def test_sync_stays_pure(graph: grimp.ImportGraph) -> None:
    """The engine never imports the server (it learns the collections by registration)."""
    wrong = [
        f"{module} -> {imported}"
        for module in sorted(graph.modules)
        if module == "sync" or module.startswith("sync.")
        for imported in sorted(graph.find_modules_directly_imported_by(module))
        if imported == "server" or imported.startswith("server.")
    ]
    assert not wrong, "sync importing the server:\n" + "\n".join(wrong)
