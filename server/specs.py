"""Collection specs: everything the server knows about one synced collection, in one object.

A domain package (`server/disputes/`, `server/dispatch/`, ...) declares one `CollectionSpec` per
collection it owns: the schema fragment the sync engine merges against, the Piccolo table, its
slice of the permission rules, how its scope and owner are derived for the change feed, what a
push must preload for it, its reactions to applied changes and its scheduled jobs.
`server/domains.py` is the one place that imports every domain and registers its specs here.

The generic layers ask this registry and never name a collection: `server/permissions.py`
dispatches `can_read` / `check_write` / `visible_fields` to the spec, `server/replication/`
reads tables, derived columns, preloads and reactions from it (a test greps them for collection
names).  Registering a spec also registers its schema with `sync.schema`, so the engine and
`GET /api/sync/schema` see the same collections in the same order.

Dependencies point down: this module imports only `sync` and the directory's value types
(principal, org tree).  The working set and the reactor that hooks receive are named for the
type checker only (`TYPE_CHECKING`): they live in `server/replication/`, above this module.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from piccolo.table import Table

from server.accounts.principal import Principal
from server.org.tree import OrgTree
from sync.model import Applied, Mutation, MutationError, Record
from sync.schema import Collection, register_collection

if TYPE_CHECKING:
    from server.replication.reactions import Reactor
    from server.replication.store import WorkingSet

#: a record as the permission rules see it: schema fields (JSON values, ids as strings) plus
#: `id`, `created_by` and the spec's derived columns
PermissionRecord = Mapping[str, Any]
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Write:
    """One proposed write, as a permission slice judges it."""

    principal: Principal
    tree: OrgTree
    #: the record as stored (None for a create)
    current: PermissionRecord | None
    #: exactly the fields the mutation sets
    proposed: Mapping[str, Any]
    #: current and proposed together: the record as it would be
    merged: Mapping[str, Any]
    #: "upsert" or "delete"
    op: str

    @property
    def me(self) -> str:
        return str(self.principal.user_id)


@dataclass(slots=True)
class Admission:
    """What a spec's `admit` hook sees: the write before the permission slice judges it, with
    the push's working set at hand (a visit's dispute, a referral's cited dispute).  The hook may
    add derived values to `proposal` (a visit takes its dispute's community as scope)."""

    principal: Principal
    tree: OrgTree
    ws: WorkingSet
    collection: str
    stored: PermissionRecord | None
    proposal: dict[str, Any]
    op: str


ReadRule = Callable[[Principal, OrgTree, PermissionRecord], bool]
WriteRule = Callable[[Write], "str | None"]
ScopeRule = Callable[[PermissionRecord], "tuple[str | None, str | None]"]
AdmitRule = Callable[[Admission], "MutationError | None"]
DeriveRule = Callable[["WorkingSet", Record], "dict[str, Any] | None"]
InitialStates = Callable[[Principal, Mapping[str, Any]], "dict[str, str]"]
Reaction = Callable[["Reactor", Applied], Awaitable[list[Applied]]]
Preload = Callable[["WorkingSet", list[Mutation]], Awaitable[None]]
#: the record as this user may see it, for collections whose privacy is not a field list
VisibleRule = Callable[[Principal, PermissionRecord], PermissionRecord]


def _no_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    return None, None


def _no_refs(_: Any) -> Iterable[Key]:
    return ()


def _refuse(write: Write) -> str | None:
    """The default permission slice refuses every write: a collection says who may write it."""
    return "no one writes this collection from a device"


@dataclass(frozen=True, slots=True)
class Job:
    """A scheduled job, run every minute (`doorstep beat`, or in-process by `doorstep run`).
    `run(now)` returns how many items it changed; each job must be safe to run twice."""

    name: str
    run: Callable[[datetime | None], Awaitable[int]]


@dataclass(frozen=True)
class CollectionSpec:
    """One synced collection, as the server runs it.  Hooks left at their defaults do nothing."""

    #: the schema fragment: fields, policies, state machines, initial states
    schema: Collection
    #: the Piccolo table holding its records (one row per record, columns = schema fields)
    table: type[Table]
    # -- the permission slice ------------------------------------------------------------
    #: may this user read this record (pull, audit, attachments, a write's current record)
    can_read: ReadRule
    #: why this write is refused (a message for `forbidden`), None when allowed; deletes too
    check_write: WriteRule = _refuse
    #: fields only one user may read or write, and the field naming that user
    private_fields: frozenset[str] = frozenset()
    private_to: str | None = None
    #: what a reader may see of a record when that is not a fixed field list (a conflict
    #: copies another record's private values); `permissions.visible_fields` asks it
    visible: VisibleRule | None = None
    #: domain checks before the permission slice, with the working set at hand (references,
    #: field relations such as deadlines in order, initial states); any error code
    admit: AdmitRule | None = None
    #: the state a create takes per state field, by who creates it (default: the schema's
    #: `initial_states`; e.g. a session booked by its own psychologist starts `scheduled`)
    initial_states: InitialStates | None = None
    # -- scope ------------------------------------------------------------------------------
    #: (scope org unit, owner user) of a record, stored on its change-feed entry
    scope: ScopeRule = _no_scope
    #: server-derived columns stored on the row for scoping, never sent to devices
    derived_columns: tuple[str, ...] = ()
    #: their values from the working set (None: keep what the row holds)
    derive: DeriveRule | None = None
    # -- what a push must preload -------------------------------------------------------------
    #: records a mutation names that decide its outcome (a visit's dispute)
    mutation_refs: Callable[[Mutation], Iterable[Key]] = _no_refs
    #: records a stored record needs beside it (a conflict's target, a visit's dispute)
    record_refs: Callable[[Record], Iterable[Key]] = _no_refs
    #: anything else, once the named records are loaded (sessions near a psych booking)
    preload: Preload | None = None
    # -- what happens next ----------------------------------------------------------------------
    #: run, in the push's transaction, for every applied change of this collection; they may
    #: write more records (returned, and reacted to in turn) and queue notices
    reactions: tuple[Reaction, ...] = ()
    #: scheduled jobs about this collection
    jobs: tuple[Job, ...] = ()
    # -- lifecycle facts ------------------------------------------------------------------
    #: fields besides the schema's `state` fields whose every applied change is kept as a
    #: lifecycle fact (`server/replication/facts.py`): risk levels, ratings, escalation
    fact_fields: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.schema.name

    @property
    def fact_field_names(self) -> frozenset[str]:
        """Every field whose changes are lifecycle facts: the state fields and `fact_fields`."""
        return frozenset(self.schema.states) | frozenset(self.fact_fields)

    def initial_states_for(
        self, principal: Principal, proposed: Mapping[str, Any]
    ) -> dict[str, str]:
        """The state fields a create by `principal` starts in."""
        if self.initial_states is not None:
            return self.initial_states(principal, proposed)
        return dict(self.schema.initial_states)


_SPECS: dict[str, CollectionSpec] = {}
_loaded = False


def register(*specs: CollectionSpec) -> None:
    """Register specs (and their schemas with the sync engine), once each."""
    for spec in specs:
        known = _SPECS.get(spec.name)
        if known is not None and known is not spec:
            raise ValueError(f"collection {spec.name!r} is already registered")
        register_collection(spec.schema)
        _SPECS[spec.name] = spec


def ensure_loaded() -> None:
    """Import `server.domains`, which registers every domain's specs (once per process).

    Imported by name rather than at the top: the domains build on the layers that ask this
    registry, so a static import would point upwards."""
    global _loaded
    if not _loaded:
        importlib.import_module("server.domains")
        _loaded = True


def find(collection: str) -> CollectionSpec | None:
    """The spec of a collection, or None for a name no domain registered."""
    spec = _SPECS.get(collection)
    if spec is None and not _loaded:
        ensure_loaded()
        spec = _SPECS.get(collection)
    return spec


def get(collection: str) -> CollectionSpec:
    spec = find(collection)
    if spec is None:
        raise KeyError(collection)
    return spec


def all_specs() -> Iterator[CollectionSpec]:
    ensure_loaded()
    return iter(list(_SPECS.values()))


def names() -> list[str]:
    ensure_loaded()
    return list(_SPECS)
