"""Who may read and write what: the one door every read and write goes through (DESIGN.md
"Security model").

Every endpoint and every synced record goes through these functions: pulls filter records with
`can_read` and `visible_fields`, pushes ask `check_write` (the sync engine's Gate), admin
endpoints ask `may_manage_user`.  Records are plain dicts of schema fields (JSON values, ids as
strings) plus `id`, `created_by` and the collection's server-derived scope columns.

This module holds the generic parts: roles and their ranks, a user's scope in the org tree, and
the dispatch to each collection's permission slice, which lives with its domain
(`server/<domain>/access.py`, found through `server/specs.py`).  It names no collection.

Scope in one sentence: grid workers, lawyers and community admins work in their community;
psychologists own their slots and sessions; department officers see orders sent to their
department; street and district admins see their subtree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from server import specs
from server.accounts.principal import Principal
from server.org.tree import OrgTree
from sync.model import MutationError

Record = Mapping[str, Any]

ROLE_RANK = {
    #: 平安志愿者: joins with an invite, sees only their own reports (server/volunteers/)
    "volunteer": 0,
    "grid_worker": 1,
    "lawyer": 1,
    "psychologist": 1,
    "department_officer": 1,
    "community_admin": 2,
    "street_admin": 3,
    "district_admin": 4,
}
ADMIN_ROLES = frozenset({"community_admin", "street_admin", "district_admin"})
COMMUNITY_STAFF = frozenset({"grid_worker", "lawyer", "community_admin"})
#: supervisors of a subtree: they read everything in it online, while their devices hold only
#: what they act on, personal data reduced (COMMAND_API.md "Supervisors' devices hold less")
SUPERVISORS = frozenset({"street_admin", "district_admin"})


class Denied(Exception):
    """Raised by `require` helpers; carries the refusal's message."""


def _id(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def as_uuid(value: Any) -> UUID | None:
    """An id as a UUID; None for a missing or malformed one (which then matches no scope)."""
    if not value:
        return None
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        return None


def scope_root(p: Principal, tree: OrgTree) -> UUID | None:
    """The org unit whose subtree this user works in."""
    if p.role in COMMUNITY_STAFF:
        return tree.nearest(p.org_unit_id, "community") or p.org_unit_id
    if p.role == "street_admin":
        return tree.nearest(p.org_unit_id, "street") or p.org_unit_id
    if p.role == "district_admin":
        return tree.nearest(p.org_unit_id, "district") or p.org_unit_id
    return p.org_unit_id


def in_scope(p: Principal, tree: OrgTree, unit_id: Any) -> bool:
    return tree.is_within(as_uuid(unit_id), scope_root(p, tree))


def id_of(value: Any) -> str | None:
    """An id as the permission records hold it (a string), None for none."""
    return _id(value)


def not_a_community(tree: OrgTree, value: Any) -> str | None:
    """Why `value` does not name a community (a message), or None when it does: records that
    belong to one community name it at creation, never a grid, station or street."""
    unit = tree.get(as_uuid(value))
    if unit is None or unit.kind != "community":
        return "community_id must name a community (not a grid, station or street)"
    return None


def admit_new_in_community(a: specs.Admission) -> MutationError | None:
    """An `admit` hook for records that belong to one community named at creation."""
    if a.stored is None:
        refusal = not_a_community(a.tree, a.proposal.get("community_id"))
        if refusal is not None:
            return MutationError("validation", refusal, {"field": "community_id"})
    return None


def record_scope(collection: str, record: Record) -> tuple[str | None, str | None]:
    """(scope org unit, owner user) of a record, stored on its change-feed entry."""
    spec = specs.find(collection)
    return spec.scope(record) if spec is not None else (None, None)


def feed_keys(
    collection: str, record: Record
) -> tuple[UUID | None, UUID | None, UUID | None, UUID | None]:
    """(scope org unit, owner, second user, second org unit) of a record's feed entry: what the
    pull's SQL pre-filter matches a reader's `FeedScope` against."""
    spec = specs.find(collection)
    if spec is None:
        return None, None, None, None
    scope, owner = spec.scope(record)
    also_user, also_unit = spec.also_scope(record)
    return as_uuid(scope), as_uuid(owner), as_uuid(also_user), as_uuid(also_unit)


def feed_scope(p: Principal, tree: OrgTree, collection: str) -> specs.FeedScope:
    """The feed entries of `collection` this user could read (a superset of `can_read`)."""
    spec = specs.find(collection)
    return spec.feed_scope(p, tree) if spec is not None else specs.NOTHING


def subtree_for(p: Principal, tree: OrgTree, roles: frozenset[str]) -> specs.FeedScope:
    """A `feed_scope` for records read by `roles` in their scope (the usual rule)."""
    if p.role not in roles:
        return specs.NOTHING
    return specs.FeedScope(subtree=scope_root(p, tree))


def can_read(p: Principal, tree: OrgTree, collection: str, record: Record) -> bool:
    spec = specs.find(collection)
    return spec is not None and spec.can_read(p, tree, record)


def private_fields(collection: str) -> frozenset[str]:
    """Fields of this collection that only one user may read (never shown to anyone else, not
    even in the audit trail)."""
    spec = specs.find(collection)
    return spec.private_fields if spec is not None else frozenset()


def visible_fields(p: Principal, collection: str, record: Record) -> Record:
    """The record without the fields this user may not read (absent, never null).

    The one place that decides: pulls (both scans), the audit trail and conflicts ask it.  A
    conflict is checked against the private fields of the record it copies values from (its
    spec's `visible` hook, server/conflicts/visibility.py).
    """
    spec = specs.find(collection)
    if spec is not None and spec.visible is not None:
        return spec.visible(p, record)
    if spec is None or not spec.private_fields or spec.private_to is None:
        return record
    if _id(record.get(spec.private_to)) != str(p.user_id):
        private = spec.private_fields
        return {k: v for k, v in record.items() if k not in private}
    return record


def holds_less(p: Principal) -> bool:
    """Whether this user's devices hold a minimised copy of their scope."""
    return p.role in SUPERVISORS


def device_copy(p: Principal, collection: str, record: Record) -> Record | None:
    """What this user's device holds of a record they may read (`record` is already without
    the fields they may not read): the record, reduced, or None to keep it off the device.
    The spec's `device_copy` decides; pulls ask this, the online read does not."""
    spec = specs.find(collection)
    if spec is None or spec.device_copy is None:
        return record
    return spec.device_copy(p, record)


def online_only_for_supervisors(p: Principal, record: Record) -> Record | None:
    """A `device_copy` rule: supervisors read these records online only (casework they do not
    act on from the phone: visits, consultations, psych sessions); everyone else holds them."""
    return None if holds_less(p) else record


def check_write(
    p: Principal,
    tree: OrgTree,
    collection: str,
    current: Record | None,
    proposed: Mapping[str, Any],
    op: str,
) -> str | None:
    """Why this write is refused (a message for `forbidden`), or None when it is allowed.

    `current` is the record as stored (None for a create); `proposed` the fields the mutation
    sets; `op` is "upsert" or "delete".  The rules shared by every collection are here; the
    collection's own are in its spec's `check_write`.
    """
    spec = specs.find(collection)
    if spec is not None and not spec.schema.device_writable:
        return "the directory is read-only on devices"
    if current is not None and not can_read(p, tree, collection, current):
        return "this record is outside your scope"
    if spec is None:
        return "unknown collection"
    if current is not None and holds_less(p) and spec.reduced_fields & set(proposed):
        # the device edited a reduced copy: merging it would erase what it never held
        reduced = ", ".join(sorted(spec.reduced_fields & set(proposed)))
        return f"supervisors' devices hold {reduced} reduced; community staff edit them"
    merged: dict[str, Any] = {**(current or {}), **proposed}
    return spec.check_write(specs.Write(p, tree, current, proposed, merged, op))


def may_manage_user(
    p: Principal, tree: OrgTree, target_org: Any, target_role: str | None
) -> str | None:
    """Why an admin may not create or change this user (None when allowed): district admins
    manage everyone; street and community admins their subtree, never above their own role."""
    if p.role not in ADMIN_ROLES:
        return "only admins manage accounts"
    if target_role is not None and ROLE_RANK.get(target_role, 99) > ROLE_RANK[p.role]:
        return "you cannot grant a role above your own"
    if p.role == "district_admin":
        return None
    if not in_scope(p, tree, target_org):
        return "that org unit is outside your scope"
    return None
