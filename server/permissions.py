"""Who may read and write what: the one place that answers it (DESIGN.md "Security model").

Every endpoint and every synced record goes through these functions: pulls filter records with
`can_read` and `visible_fields`, pushes ask `check_write` (the sync engine's Gate), admin
endpoints ask `may_manage_user`.  Records are plain dicts of schema fields (JSON values, ids as
strings) plus `id`, `created_by` and, for visits and conflicts, the server-derived `scope_org_id`.

Scope in one sentence: grid workers, lawyers and community admins work in their community;
psychologists own their slots and sessions; department officers see orders sent to their
department; street and district admins see their subtree.  A psychologist's session notes are
readable by that psychologist alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from server.accounts.principal import Principal
from server.org.tree import OrgTree

Record = Mapping[str, Any]

ROLE_RANK = {
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
#: fields that only the record's psychologist may read or write
PRIVATE_FIELDS: dict[str, frozenset[str]] = {"psych_sessions": frozenset({"notes"})}
DIRECTORY = frozenset({"org_units", "users"})

# Which order statuses each side of a dispatch order may set, and which fields it writes.
ORDER_COMMUNITY_STATUSES = frozenset({"issued", "verified", "reopened"})
ORDER_DEPARTMENT_STATUSES = frozenset({"acknowledged", "arrived", "resolved"})
ORDER_DEPARTMENT_FIELDS = frozenset({"status", "arrival", "resolution_note", "department_rating"})
ORDER_COMMUNITY_FIELDS = frozenset(
    {
        "community_id",
        "dispute_id",
        "department_id",
        "summary",
        "required_leader_level",
        "arrive_by",
        "resolve_by",
        "status",
        "community_rating",
    }
)
SESSION_REFERRAL_FIELDS = frozenset(
    {"psychologist_id", "room_id", "starts_at", "ends_at", "client_ref", "dispute_id", "status"}
)


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


def record_scope(collection: str, record: Record) -> tuple[str | None, str | None]:
    """(scope org unit, owner user) of a record, stored on its change-feed entry."""
    if collection in ("disputes", "consultations", "dispatch_orders"):
        return _id(record.get("community_id")), None
    if collection == "visits":
        return _id(record.get("scope_org_id") or record.get("community_id")), None
    if collection in ("psych_slots", "psych_sessions"):
        return _id(record.get("room_id")), _id(record.get("psychologist_id"))
    if collection == "warnings":
        return _id(record.get("org_unit_id")), None
    if collection == "notifications":
        return None, _id(record.get("user_id"))
    if collection == "conflicts":
        return _id(record.get("scope_org_id")), None
    return None, None


def can_read(p: Principal, tree: OrgTree, collection: str, record: Record) -> bool:
    me = str(p.user_id)
    if collection in DIRECTORY:
        return True
    if collection == "notifications":
        return _id(record.get("user_id")) == me
    if collection == "psych_slots":
        return True  # availability is what referrals are booked against; it holds no client data
    if collection == "psych_sessions":
        if _id(record.get("psychologist_id")) == me or _id(record.get("created_by")) == me:
            return True
        return p.role in ADMIN_ROLES and in_scope(p, tree, record.get("room_id"))
    if collection == "conflicts":
        if me in (_id(record.get("theirs_by")), _id(record.get("yours_by"))):
            return True
        return p.role in ADMIN_ROLES and in_scope(p, tree, record.get("scope_org_id"))
    if collection == "dispatch_orders":
        if p.role == "department_officer":
            return tree.is_within(as_uuid(record.get("department_id")), p.org_unit_id)
        return p.role in COMMUNITY_STAFF | ADMIN_ROLES and in_scope(
            p, tree, record.get("community_id")
        )
    if collection in ("disputes", "visits"):
        scope = (
            record.get("community_id")
            if collection == "disputes"
            else record_scope(collection, record)[0]
        )
        return p.role in COMMUNITY_STAFF | ADMIN_ROLES and in_scope(p, tree, scope)
    if collection == "consultations":
        return p.role in {"lawyer"} | ADMIN_ROLES and in_scope(p, tree, record.get("community_id"))
    if collection == "warnings":
        return p.role != "department_officer" and in_scope(p, tree, record.get("org_unit_id"))
    return False


def visible_fields(p: Principal, collection: str, record: Record) -> Record:
    """The record without the fields this user may not read (absent, never null)."""
    private = PRIVATE_FIELDS.get(collection)
    if private and _id(record.get("psychologist_id")) != str(p.user_id):
        return {k: v for k, v in record.items() if k not in private}
    return record


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
    sets; `op` is "upsert" or "delete".
    """
    me = str(p.user_id)
    merged: dict[str, Any] = {**(current or {}), **proposed}
    if collection in DIRECTORY:
        return "the directory is read-only on devices"
    if current is not None and not can_read(p, tree, collection, current):
        return "this record is outside your scope"

    if collection == "disputes":
        if p.role not in {"grid_worker", "community_admin", "street_admin", "district_admin"}:
            return "your role cannot edit disputes"
        if not in_scope(p, tree, merged.get("community_id")):
            return "the dispute's community is outside your scope"
        if op == "delete" and p.role == "grid_worker" and _id(merged.get("created_by")) != me:
            return "only the dispute's author or an admin may delete it"
        return None

    if collection == "visits":
        if p.role not in COMMUNITY_STAFF | ADMIN_ROLES:
            return "your role cannot record visits"
        if not in_scope(p, tree, record_scope(collection, merged)[0]):
            return "the dispute is outside your scope"
        return None

    if collection == "consultations":
        if p.role != "lawyer":
            return "only lawyers keep consultation logs"
        if not in_scope(p, tree, merged.get("community_id")):
            return "the community is outside your scope"
        return None

    if collection == "psych_slots":
        if p.role != "psychologist" or _id(merged.get("psychologist_id")) != me:
            return "only the psychologist edits their own availability"
        return None

    if collection == "psych_sessions":
        if p.role == "psychologist" and _id(merged.get("psychologist_id")) == me:
            return None
        # a referral: others may ask for a session, never schedule it or touch clinical fields
        if p.role in COMMUNITY_STAFF | ADMIN_ROLES:
            if set(proposed) - SESSION_REFERRAL_FIELDS:
                return "only the session's psychologist writes notes and risk"
            if current is None:
                if proposed.get("status", "requested") != "requested":
                    return "a referral is created as requested; the psychologist schedules it"
                return None
            own_referral = _id(current.get("created_by")) == me
            if own_referral and proposed == {"status": "cancelled"}:
                return None
            return "only the psychologist changes a booked session"
        return "your role cannot book sessions"

    if collection == "dispatch_orders":
        return _check_order(p, tree, current, proposed, merged, op)

    if collection == "warnings":
        if current is None:
            if p.role not in ADMIN_ROLES:
                return "only admins raise warnings by hand"
            if merged.get("source", "manual") != "manual":
                return "a warning raised by hand has source manual"
            if not in_scope(p, tree, merged.get("org_unit_id")):
                return "the warning's org unit is outside your scope"
            return None
        if op == "delete" or set(proposed) != {"acknowledged_by"}:
            return "a warning can only be acknowledged"
        before = set(current.get("acknowledged_by") or [])
        after = set(proposed["acknowledged_by"] or [])
        if not before <= after or after - before - {me}:
            return "you may add only your own acknowledgement"
        return None

    if collection == "notifications":
        if current is None or _id(current.get("user_id")) != me:
            return "notifications belong to their recipient"
        if op == "delete" or set(proposed) != {"read"}:
            return "only the read flag of a notification can change"
        return None

    if collection == "conflicts":
        # Resolving writes the target field: the engine checks that write separately.
        if current is None or op == "delete":
            return "conflicts are opened by the server"
        return None

    return "unknown collection"


def _check_order(
    p: Principal,
    tree: OrgTree,
    current: Record | None,
    proposed: Mapping[str, Any],
    merged: Mapping[str, Any],
    op: str,
) -> str | None:
    community_side = p.role in ADMIN_ROLES and in_scope(p, tree, merged.get("community_id"))
    department_side = p.role == "department_officer" and tree.is_within(
        as_uuid(merged.get("department_id")), p.org_unit_id
    )
    if current is None:
        if not community_side:
            return "only the community issues dispatch orders"
        department = tree.get(as_uuid(merged.get("department_id")))
        if department is None or department.kind != "department":
            return "department_id must name a department"
        if proposed.get("status", "issued") != "issued":
            return "a new order starts as issued"
        return None
    if op == "delete":
        return "dispatch orders are never deleted; verify or reopen them"
    status = proposed.get("status")
    if community_side and not department_side:
        if set(proposed) - ORDER_COMMUNITY_FIELDS:
            return "the department reports arrival and resolution"
        if status is not None and status not in ORDER_COMMUNITY_STATUSES:
            return "the department acknowledges, arrives and resolves"
        return None
    if department_side:
        if set(proposed) - ORDER_DEPARTMENT_FIELDS:
            return "the community sets the order's terms"
        if status is not None and status not in ORDER_DEPARTMENT_STATUSES:
            return "the community verifies or reopens"
        return None
    return "this order is not addressed to you"


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
