"""Who may read, raise and acknowledge warnings.

Everyone but department officers and volunteers sees the warnings of their scope (a warning's
message names the dispute, and a volunteer is not staff: they see only their own reports).  Rules raise warnings; an
admin may raise one by hand (source `manual`) in their scope.  After that a warning only
collects acknowledgements, each user adding their own.
"""

from __future__ import annotations

from server.accounts.principal import Principal
from server.org.tree import OrgTree
from server.permissions import ADMIN_ROLES, id_of, in_scope, scope_root
from server.specs import NOTHING, FeedScope, PermissionRecord, Write


def warning_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    return id_of(record.get("org_unit_id")), None


#: roles whose devices hold no warnings at all
NO_WARNINGS = frozenset({"department_officer", "volunteer"})


def can_read_warning(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    return p.role not in NO_WARNINGS and in_scope(p, tree, record.get("org_unit_id"))


def warning_feed_scope(p: Principal, tree: OrgTree) -> FeedScope:
    if p.role in NO_WARNINGS:
        return NOTHING
    return FeedScope(subtree=scope_root(p, tree))


def check_warning_write(w: Write) -> str | None:
    p, current, proposed = w.principal, w.current, w.proposed
    if current is None:
        if p.role not in ADMIN_ROLES:
            return "only admins raise warnings by hand"
        if w.merged.get("source", "manual") != "manual":
            return "a warning raised by hand has source manual"
        if not in_scope(p, w.tree, w.merged.get("org_unit_id")):
            return "the warning's org unit is outside your scope"
        return None
    if w.op == "delete" or set(proposed) != {"acknowledged_by"}:
        return "a warning can only be acknowledged"
    before = set(current.get("acknowledged_by") or [])
    after = set(proposed["acknowledged_by"] or [])
    if not before <= after or after - before - {w.me}:
        return "you may add only your own acknowledgement"
    return None
