"""The `conflicts` collection as the server runs it.

The engine opens conflicts and plans their resolution (sync/conflicts.py); the server decides
who sees one (the two people whose edits clashed, and the admins of the target's scope), derives
its scope from its target, and tells the two people.
"""

from __future__ import annotations

from typing import Any

from server.accounts.principal import Principal
from server.conflicts.tables import Conflict
from server.conflicts.visibility import conflict_on_device, visible_conflict
from server.inbox.notices import Notice, notify
from server.org.tree import OrgTree
from server.permissions import ADMIN_ROLES, id_of, in_scope, scope_root
from server.replication.reactions import Reactor
from server.replication.store import WorkingSet
from server.specs import CollectionSpec, FeedScope, Key, PermissionRecord, Write
from sync.conflicts import CONFLICTS
from sync.context import conflict_id
from sync.model import Applied, Mutation, Record


def conflict_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    """Scoped like its target; owned by the user whose edit was held (`yours_by`)."""
    return id_of(record.get("scope_org_id")), id_of(record.get("yours_by"))


def conflict_also_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    """The other party to the clash reads it too."""
    return id_of(record.get("theirs_by")), None


def conflict_feed_scope(p: Principal, tree: OrgTree) -> FeedScope:
    root = scope_root(p, tree) if p.role in ADMIN_ROLES else None
    return FeedScope(user=p.user_id, subtree=root)


def can_read_conflict(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    if str(p.user_id) in (id_of(record.get("theirs_by")), id_of(record.get("yours_by"))):
        return True
    return p.role in ADMIN_ROLES and in_scope(p, tree, record.get("scope_org_id"))


def check_conflict_write(w: Write) -> str | None:
    # Resolving writes the target field: the engine checks that write separately.
    if w.current is None or w.op == "delete":
        return "conflicts are opened by the server"
    return None


def derive_conflict(ws: WorkingSet, record: Record) -> dict[str, Any] | None:
    """A conflict is scoped like its target (None: the target is not loaded; keep the row's)."""
    target = ws.records.get(_target(record))
    if target is None:
        return None
    return {"scope_org_id": ws.scope_of(target)}


def conflict_record_refs(record: Record) -> list[Key]:
    return [_target(record)]


async def preload_opened_conflicts(ws: WorkingSet, pending: list[Mutation]) -> None:
    """The conflicts these mutations could open (their ids derive from the mutation id): a
    reused mutation id must find the conflict it opened before, not collide with it on insert
    (sync/conflicts.py rejects it)."""
    await ws.load_records(
        ("conflicts", conflict_id(m.id, name)) for m in pending for name in (None, *m.fields)
    )


def _target(record: Record) -> Key:
    return str(record.fields.get("target_collection")), str(record.fields.get("target_id"))


async def notify_clash(reactor: Reactor, item: Applied) -> list[Applied]:
    """A new conflict tells the people whose edits clashed."""
    if not item.created:
        return []
    fields = item.after.fields
    users = {str(u) for u in (fields.get("theirs_by"), fields.get("yours_by")) if u}
    notify(
        reactor,
        Notice(
            users=frozenset(users),
            type="conflict",
            template="conflict_new",
            url=f"#/conflicts/{item.record_id}",
            subject=f"conflict/{item.record_id}",
        ),
    )
    return []


CONFLICTS_SPEC = CollectionSpec(
    schema=CONFLICTS,
    table=Conflict,
    can_read=can_read_conflict,
    check_write=check_conflict_write,
    scope=conflict_scope,
    also_scope=conflict_also_scope,
    feed_scope=conflict_feed_scope,
    derived_columns=("scope_org_id",),
    derive=derive_conflict,
    record_refs=conflict_record_refs,
    reactions=(notify_clash,),
    preload=preload_opened_conflicts,
    visible=visible_conflict,
    device_copy=conflict_on_device,
    rules_version=2,
)
