"""Reactions to applied changes: the machinery, not the rules.

After the engine applies a push (or a scheduled job writes), every applied change is handed to
the reactions its collection's spec registered (`CollectionSpec.reactions`, e.g. a dispute
raised to red raises a warning, in `server/disputes/rules.py`).  A reaction may write more
records through the same working set; those are reacted to in turn.  Everything happens in
the caller's transaction, so it commits or rolls back with the change that caused it.

Domains that need to do something once per run, after every reaction (the inbox writes all
notices of a push together), register a finisher with `before_flush`; what a finisher returns is
run after commit (e.g. waking the push deliverer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server import specs
from server.org.tree import OrgTree
from server.replication.store import WorkingSet
from sync.hlc import ServerClock
from sync.model import Applied

#: something to do once the transaction has committed (never inside it)
AfterCommit = Callable[[], Any]
Finisher = Callable[["Reactor"], Awaitable[list[AfterCommit]]]


class Reactor:
    """One run of reactions over a working set."""

    def __init__(self, ws: WorkingSet, tree: OrgTree, now_ms: int, clock: ServerClock) -> None:
        self.ws = ws
        self.tree = tree
        self.now_ms = now_ms
        self.clock = clock
        #: per-run state of the domains' helpers (the inbox's pending notices, loaded people)
        self.memo: dict[str, Any] = {}
        self._finishers: dict[str, Finisher] = {}

    def before_flush(self, name: str, finisher: Finisher) -> None:
        """Run `finisher` once, after every reaction of this run (registering again is a no-op)."""
        self._finishers.setdefault(name, finisher)

    async def run(self, applied: list[Applied]) -> list[AfterCommit]:
        """React to `applied` and to whatever the reactions write; returns the after-commit work."""
        queue = list(applied)
        while queue:
            item = queue.pop(0)
            spec = specs.find(item.collection)
            if spec is None:
                continue
            for reaction in spec.reactions:
                queue += await reaction(self, item)
        after: list[AfterCommit] = []
        for finisher in self._finishers.values():
            after += await finisher(self)
        return after


async def react(
    ws: WorkingSet, applied: list[Applied], tree: OrgTree, *, now_ms: int, clock: ServerClock
) -> list[AfterCommit]:
    """Run the reactions to a push's writes; returns what to do after commit."""
    if not applied:
        return []
    return await Reactor(ws, tree, now_ms, clock).run(applied)
