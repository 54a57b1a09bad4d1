"""Scope in SQL (issue 13): the pull asks the database only for feed entries the reader could
read, instead of scanning the whole feed and filtering in Python.

Each collection's spec says which entries a reader could read as a `FeedScope` (a superset of
its `can_read`; `tests/server/replication/test_prefilter.py` holds every spec to that over
random org trees, users and records).  The feed stores per entry the scope org unit, the owner,
a second user and a second org unit (`permissions.feed_keys`); the org tree is kept in SQL as an
ancestors table (`sync_org_ancestors`), so "in U's subtree" is `ancestor_id = U`, an index
lookup.  A reader's scopes become one `UNION` of index-backed arms, each bounded by the cursor
and the feed head, ordered by `seq`.  `permissions.can_read` still judges every record the
query returns: the pre-filter only decides what is not worth loading.

The ancestors table follows the tree: the feed counter table holds the signature of the tree it
was built from (row 2), read with the feed head in one query; a pull whose tree differs reloads
the tree and, if the database's is still older, rebuilds the table in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from server import permissions, specs
from server.accounts.principal import Principal
from server.db import write_transaction
from server.org.tree import OrgTree, load_tree
from server.replication.tables import FeedCounter, FeedEntry, OrgAncestor

#: the sync_counter row that holds the signature of the tree `sync_org_ancestors` was built from
TREE_ROW = 2
HORIZON_ROW = 3  # server/replication/compaction.py
_FEED = FeedEntry._meta.tablename
_ANCESTORS = OrgAncestor._meta.tablename


@dataclass
class Arms:
    """A reader's feed scopes grouped by clause: collection names per kind of match."""

    everything: list[str] = field(default_factory=list)
    subtree: dict[UUID, list[str]] = field(default_factory=dict)
    alt_subtree: dict[UUID, list[str]] = field(default_factory=dict)
    user: dict[UUID, list[str]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.everything or self.subtree or self.alt_subtree or self.user)


def arms_for(principal: Principal, tree: OrgTree) -> Arms:
    arms = Arms()
    for spec in specs.all_specs():
        scope = permissions.feed_scope(principal, tree, spec.name)
        if scope.everything:
            arms.everything.append(spec.name)
            continue
        if scope.subtree is not None:
            arms.subtree.setdefault(scope.subtree, []).append(spec.name)
        if scope.alt_subtree is not None:
            arms.alt_subtree.setdefault(scope.alt_subtree, []).append(spec.name)
        if scope.user is not None:
            arms.user.setdefault(scope.user, []).append(spec.name)
    return arms


class _Params:
    """Positional parameters, spelled for the driver: `$1` (asyncpg) or `{}` (Piccolo raw)."""

    def __init__(self, spell: Callable[[int], str], ids_as_text: bool) -> None:
        self.values: list[Any] = []
        self._spell = spell
        self._ids_as_text = ids_as_text

    def add(self, value: Any) -> str:
        if isinstance(value, UUID) and self._ids_as_text:
            value = str(value)
        self.values.append(value)
        return self._spell(len(self.values))

    def names(self, collections: list[str]) -> str:
        return ", ".join(self.add(name) for name in collections)


def visible_entries_sql(
    arms: Arms, start: int, head: int, limit: int, *, postgres: bool
) -> tuple[str, list[Any]]:
    """The feed entries in (start, head] these arms match, in seq order, at most `limit`:
    (seq, collection, record id as text)."""
    params = _Params((lambda i: f"${i}") if postgres else (lambda _i: "{}"), not postgres)
    record_id = "f.record_id::text" if postgres else "f.record_id"
    select = f"SELECT f.seq, f.collection, {record_id} AS record_id FROM {_FEED} f"

    def window() -> str:
        return f"f.seq > {params.add(start)} AND f.seq <= {params.add(head)}"

    parts: list[str] = []
    if arms.everything:
        parts.append(
            f"{select} WHERE f.collection IN ({params.names(arms.everything)}) AND {window()}"
        )
    for column, groups in (("scope_org_id", arms.subtree), ("alt_org_id", arms.alt_subtree)):
        for root, names in groups.items():
            parts.append(
                f"{select} JOIN {_ANCESTORS} a ON a.org_id = f.{column} "
                f"WHERE a.ancestor_id = {params.add(root)} "
                f"AND f.collection IN ({params.names(names)}) AND {window()}"
            )
    for user, names in arms.user.items():
        for column in ("owner_id", "alt_user_id"):
            parts.append(
                f"{select} WHERE f.{column} = {params.add(user)} "
                f"AND f.collection IN ({params.names(names)}) AND {window()}"
            )
    if not parts:
        return "", []
    union = " UNION ".join(f"SELECT * FROM ({part}) AS arm{i}" for i, part in enumerate(parts))
    sql = f"SELECT seq, collection, record_id FROM ({union}) AS visible ORDER BY seq LIMIT "
    return sql + params.add(limit), params.values


# -- the feed head, the tree's signature and the compaction horizon, in one query -------------

HEAD_SQL = "SELECT id, value FROM sync_counter WHERE id IN (1, 2, 3)"


@dataclass(frozen=True, slots=True)
class Head:
    #: the feed counter: every number up to it has committed
    seq: int
    #: the signature of the tree `sync_org_ancestors` holds (None: never built)
    tree: int | None
    #: the highest feed number compaction removed (0: none)
    horizon: int


def read_head(rows: list[Any]) -> Head:
    values = {int(r["id"]): int(r["value"]) for r in rows}
    return Head(values.get(1, 0), values.get(TREE_ROW), values.get(HORIZON_ROW, 0))


async def read_feed_head() -> Head:
    return read_head(await FeedCounter.raw(HEAD_SQL))


async def head_and_tree() -> tuple[int, int | None]:
    head = await read_feed_head()
    return head.seq, head.tree


async def current_tree(tree: OrgTree, stored_signature: int | None) -> OrgTree:
    """The tree to pull with, with `sync_org_ancestors` built from it: when the stored
    signature differs, another process may have changed the org tree, so reload it first; if
    the database still holds another tree's ancestors, rebuild them."""
    if stored_signature == tree.signature:
        return tree
    tree = await load_tree(force=True)
    if stored_signature != tree.signature:
        await sync_ancestors(tree)
    return tree


async def sync_ancestors(tree: OrgTree) -> None:
    """Make `sync_org_ancestors` hold exactly the tree's (unit, ancestor) pairs, and record the
    tree's signature, in one transaction."""
    wanted = {
        f"{unit}/{ancestor}": (unit, ancestor)
        for unit in tree.units
        for ancestor in tree.ancestors(unit)
    }
    async with write_transaction():
        stored = {r["key"] for r in await OrgAncestor.select(OrgAncestor.key)}
        gone = sorted(stored - set(wanted))
        for chunk in range(0, len(gone), 500):
            await OrgAncestor.delete().where(OrgAncestor.key.is_in(gone[chunk : chunk + 500]))
        new = sorted(set(wanted) - stored)
        for chunk in range(0, len(new), 500):
            await OrgAncestor.insert(
                *[
                    OrgAncestor(key=k, org_id=wanted[k][0], ancestor_id=wanted[k][1])
                    for k in new[chunk : chunk + 500]
                ]
            ).on_conflict(action="DO NOTHING")
        await FeedCounter.raw(
            "INSERT INTO sync_counter (id, value) VALUES ({}, {}) "
            "ON CONFLICT (id) DO UPDATE SET value = excluded.value",
            TREE_ROW,
            tree.signature,
        )
