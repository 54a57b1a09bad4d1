"""Who may read and write dispatch orders: the community orders, the department executes.

The community's admins issue an order and set its terms, then verify or reopen it; the
department's officers acknowledge, arrive (check in) and resolve.  Orders are never deleted.
"""

from __future__ import annotations

from server.accounts.principal import Principal
from server.org.tree import OrgTree
from server.permissions import (
    ADMIN_ROLES,
    COMMUNITY_STAFF,
    as_uuid,
    id_of,
    in_scope,
    subtree_for,
)
from server.specs import FeedScope, PermissionRecord, Write

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
        "checkin_status",
    }
)


def order_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    return id_of(record.get("community_id")), None


def order_also_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    """The department an order is addressed to (its officers read it)."""
    return None, id_of(record.get("department_id"))


def order_feed_scope(p: Principal, tree: OrgTree) -> FeedScope:
    if p.role == "department_officer":
        return FeedScope(alt_subtree=p.org_unit_id)
    return subtree_for(p, tree, COMMUNITY_STAFF | ADMIN_ROLES)


def can_read_order(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    if p.role == "department_officer":
        return tree.is_within(as_uuid(record.get("department_id")), p.org_unit_id)
    return p.role in COMMUNITY_STAFF | ADMIN_ROLES and in_scope(p, tree, record.get("community_id"))


def check_order_write(w: Write) -> str | None:
    p, tree, merged, proposed = w.principal, w.tree, w.merged, w.proposed
    community_side = p.role in ADMIN_ROLES and in_scope(p, tree, merged.get("community_id"))
    department_side = p.role == "department_officer" and tree.is_within(
        as_uuid(merged.get("department_id")), p.org_unit_id
    )
    if w.current is None:
        if not community_side:
            return "only the community issues dispatch orders"
        department = tree.get(as_uuid(merged.get("department_id")))
        if department is None or department.kind != "department":
            return "department_id must name a department"
        return None
    if w.op == "delete":
        return "dispatch orders are never deleted; verify or reopen them"
    status = proposed.get("status")
    if community_side and not department_side:
        if set(proposed) - ORDER_COMMUNITY_FIELDS:
            return "the department reports arrival and resolution"
        if status is not None and status not in ORDER_COMMUNITY_STATUSES:
            return "the department acknowledges, arrives and resolves"
        if "checkin_status" in proposed and not (
            proposed["checkin_status"] == "verified"
            and (w.current or {}).get("checkin_status") == "pending_verification"
        ):
            return "the community only verifies a check-in flagged 待核实"
        return None
    if department_side:
        if set(proposed) - ORDER_DEPARTMENT_FIELDS:
            return "the community sets the order's terms"
        if status is not None and status not in ORDER_DEPARTMENT_STATUSES:
            return "the community verifies or reopens"
        return None
    return "this order is not addressed to you"
