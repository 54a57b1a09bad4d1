"""Who may read and write reports, and what an answer to a report must carry.

A volunteer reads only the reports they made (never another volunteer's, never a dispute: the
disputes' own rules do not let the `volunteer` role read one) and writes only their own
report's content while it is `submitted`.  Community staff and the admins above them read the
community's reports; grid workers and community admins answer them (accept, merge, dismiss).
Nobody deletes a report: dismissing is the way out, and keeps the volunteer informed.
"""

from __future__ import annotations

from typing import Any

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
from server.specs import Admission, FeedScope, Key, PermissionRecord, Write
from server.volunteers.schema import OUTCOME_FIELDS, REPORTER_FIELDS
from sync.model import Mutation, MutationError

VOLUNTEER = "volunteer"
#: who answers a report (accept / merge / dismiss)
REPORT_HANDLERS = frozenset({"grid_worker", "community_admin"})


def report_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    return id_of(record.get("community_id")), id_of(record.get("created_by"))


def report_feed_scope(p: Principal, tree: OrgTree) -> FeedScope:
    """Which reports' feed entries a reader could read (a superset of `can_read_report`): a
    volunteer's own (the entry's owner is the author), staff and admins' in their scope.  Not
    "everything": a volunteer's device is then poked, and pulls, only for its own reports."""
    if p.role == VOLUNTEER:
        return FeedScope(user=p.user_id)
    return subtree_for(p, tree, COMMUNITY_STAFF | ADMIN_ROLES)


def can_read_report(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    if p.role == VOLUNTEER:
        return id_of(record.get("created_by")) == str(p.user_id)
    return p.role in COMMUNITY_STAFF | ADMIN_ROLES and in_scope(p, tree, record.get("community_id"))


def check_report_write(w: Write) -> str | None:
    p = w.principal
    if w.op == "delete":
        return "a report is never deleted; dismiss it with a reason instead"
    if p.role == VOLUNTEER:
        if w.current is not None and id_of(w.current.get("created_by")) != w.me:
            return "this report is someone else's"
        if w.current is not None and w.current.get("status") != "submitted":
            return "this report has been answered and can no longer be changed"
        outside = sorted(set(w.proposed) - REPORTER_FIELDS)
        if outside:
            return f"a volunteer cannot set {', '.join(outside)}"
        if w.proposed.get("status", "submitted") != "submitted":
            return "only a grid worker accepts, merges or dismisses a report"
        if id_of(w.merged.get("community_id")) != id_of(p.org_unit_id):
            return "a volunteer reports in their own community"
        return None
    if p.role not in REPORT_HANDLERS | (ADMIN_ROLES - {"community_admin"}):
        return "your role cannot answer reports"
    if w.current is None:
        return "reports are made by volunteers"
    if not in_scope(p, w.tree, w.merged.get("community_id")):
        return "the report's community is outside your scope"
    if p.role not in REPORT_HANDLERS:
        return "grid workers and community admins answer reports"
    outside = sorted(set(w.proposed) - OUTCOME_FIELDS)
    if outside:
        return f"the volunteer's own words are kept; you may not change {', '.join(outside)}"
    return None


def _error(field: str, message: str) -> MutationError:
    return MutationError("validation", message, {"collection": "reports", "field": field})


def admit_report(a: Admission) -> MutationError | None:
    """An answer must say what it is: accepted names the dispute it became (in the same
    community), merged names the report it duplicates, dismissed gives the reason."""
    if a.op == "delete":
        return None
    merged: dict[str, Any] = {**(a.stored or {}), **a.proposal}
    community = as_uuid(merged.get("community_id"))
    if a.stored is None:
        unit = a.tree.get(community)
        if unit is None or unit.kind != "community":
            return _error("community_id", "community_id must name a community")
    status = a.proposal.get("status")
    if a.principal.role not in REPORT_HANDLERS:
        return None  # the permission slice refuses answers from anyone else
    if status == "accepted":
        dispute = a.ws.records.get(("disputes", str(merged.get("dispute_id") or "")))
        if dispute is None or dispute.deleted:
            return _error("dispute_id", "an accepted report names the dispute it became")
        if as_uuid(dispute.fields.get("community_id")) != community:
            return _error("dispute_id", "the dispute must be in the report's community")
    elif status == "merged":
        target_id = str(merged.get("merged_into") or "")
        target = a.ws.records.get(("reports", target_id))
        if target is None or target.deleted or target_id == str(merged.get("id") or ""):
            return _error("merged_into", "a merged report names the report it duplicates")
        if as_uuid(target.fields.get("community_id")) != community:
            return _error("merged_into", "the report it duplicates must be in the same community")
    elif status == "dismissed" and not str(merged.get("outcome_reason") or "").strip():
        return _error("outcome_reason", "a dismissed report says why (the volunteer sees it)")
    return None


def report_mutation_refs(m: Mutation) -> list[Key]:
    """The dispute or report an answer names decides whether it is admitted."""
    keys: list[Key] = []
    if m.fields.get("dispute_id"):
        keys.append(("disputes", str(m.fields["dispute_id"])))
    if m.fields.get("merged_into"):
        keys.append(("reports", str(m.fields["merged_into"])))
    return keys
