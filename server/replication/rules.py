"""Domain rules that react to applied writes inside the push transaction (warnings,
notifications).  Each returns callbacks to run after commit (waking the push deliverer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.org.tree import OrgTree
from server.replication.store import WorkingSet
from sync.hlc import ServerClock
from sync.model import Applied

AfterCommit = Callable[[], Any]


async def react(
    ws: WorkingSet, applied: list[Applied], tree: OrgTree, *, now_ms: int, clock: ServerClock
) -> list[AfterCommit]:
    return []
