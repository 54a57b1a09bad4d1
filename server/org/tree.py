"""The org tree in memory: who is above whom.  Scope checks ask it on every read and write.

Loaded from the `org_units` table and reloaded when it may have changed (another process can
run `doorstep import-org`), so every server replica answers from the same tree.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Unit:
    id: UUID
    kind: str
    name: str
    parent_id: UUID | None
    code: str


class OrgTree:
    """An immutable snapshot of the org units, indexed for ancestor queries."""

    def __init__(self, units: list[Unit]) -> None:
        self.units: dict[UUID, Unit] = {u.id: u for u in units}
        self._ancestors: dict[UUID, tuple[UUID, ...]] = {}
        self._signature: int | None = None
        for unit_id in self.units:
            chain: list[UUID] = []
            cursor: UUID | None = unit_id
            seen: set[UUID] = set()
            while cursor is not None and cursor in self.units and cursor not in seen:
                seen.add(cursor)
                chain.append(cursor)
                cursor = self.units[cursor].parent_id
            self._ancestors[unit_id] = tuple(chain)  # self first, root last

    def get(self, unit_id: UUID | None) -> Unit | None:
        return self.units.get(unit_id) if unit_id is not None else None

    def ancestors(self, unit_id: UUID | None) -> tuple[UUID, ...]:
        """The unit itself, then its parent, up to the district."""
        if unit_id is None:
            return ()
        return self._ancestors.get(unit_id, ())

    def is_within(self, unit_id: UUID | None, ancestor_id: UUID | None) -> bool:
        """True when `unit_id` is `ancestor_id` or below it."""
        if unit_id is None or ancestor_id is None:
            return False
        return ancestor_id in self.ancestors(unit_id)

    def nearest(self, unit_id: UUID | None, kind: str) -> UUID | None:
        """The closest unit of `kind` at or above `unit_id` (a grid's community, say)."""
        for candidate in self.ancestors(unit_id):
            if self.units[candidate].kind == kind:
                return candidate
        return None

    def path(self, unit_id: UUID) -> str:
        return "/" + "/".join(str(u) for u in reversed(self.ancestors(unit_id))) + "/"

    def of_kind(self, kind: str) -> list[Unit]:
        return [u for u in self.units.values() if u.kind == kind]

    @property
    def signature(self) -> int:
        """A 63-bit digest of who is under whom: equal trees have equal signatures (the pull's
        ancestors table is rebuilt when the stored one differs)."""
        if self._signature is None:
            pairs = sorted(f"{u.id}>{u.parent_id}" for u in self.units.values())
            digest = hashlib.sha256("\n".join(pairs).encode()).digest()
            self._signature = int.from_bytes(digest[:8], "big") >> 1
        return self._signature


_cache: tuple[float, OrgTree] | None = None
#: the reload in progress and its event loop: concurrent callers share it (single flight)
_reload: tuple[asyncio.AbstractEventLoop, asyncio.Task[OrgTree]] | None = None
#: bumped by forget_tree: a reload that began before it must not cache what it read
_generation = 0
RELOAD_SECONDS = 5.0


async def load_tree(force: bool = False) -> OrgTree:
    """The current tree, reloaded at most every few seconds.

    Under load hundreds of requests find the cache expired at the same moment; they share one
    reload instead of each reading and indexing the tree (a profile of 10,000 open apps showed
    that stampede at 8 % of the server's time).  A reload that finds the same units keeps the
    cached object, so what is cached per tree (readers' scope keys) stays warm."""
    global _reload
    now = time.monotonic()
    if not force and _cache is not None and now - _cache[0] < RELOAD_SECONDS:
        return _cache[1]
    loop = asyncio.get_running_loop()
    if not force and _reload is not None and _reload[0] is loop and not _reload[1].done():
        return await asyncio.shield(_reload[1])
    task = loop.create_task(_read_tree())
    _reload = (loop, task)
    return await asyncio.shield(task)


async def _read_tree() -> OrgTree:
    global _cache
    from server.org.tables import OrgUnit

    began, generation = time.monotonic(), _generation
    rows = await OrgUnit.select(
        OrgUnit.id, OrgUnit.kind, OrgUnit.name, OrgUnit.parent_id, OrgUnit.code
    ).where(OrgUnit.deleted.eq(False))
    units = [
        Unit(
            id=_uuid(r["id"]),
            kind=r["kind"],
            name=r["name"],
            parent_id=_uuid(r["parent_id"]) if r["parent_id"] else None,
            code=r["code"],
        )
        for r in rows
    ]
    if _cache is not None and {u.id: u for u in units} == _cache[1].units:
        tree = _cache[1]
    else:
        tree = OrgTree(units)
    if generation == _generation:
        _cache = (began, tree)
    return tree


def forget_tree() -> None:
    global _cache, _reload, _generation
    _cache, _reload = None, None
    _generation += 1


def _uuid(value: object) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
