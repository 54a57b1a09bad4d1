"""Who may read and write disputes and visits, and how their scope is derived.

Disputes belong to the community named at creation; community staff and the admins above it
work with them.  A visit's scope is its dispute's community (copied onto the visit's row as a
derived column, so a pull can judge a visit without loading its dispute).

Deleting is for the admins of the scope (a record made in error, a duplicate): a grid worker's
dispute that ends without mediation is withdrawn, which keeps it in the statistics and the
audit trail (issue 8).
"""

from __future__ import annotations

from typing import Any

from server.accounts.principal import Principal
from server.org.tree import OrgTree
from server.permissions import ADMIN_ROLES, COMMUNITY_STAFF, id_of, in_scope
from server.replication.store import WorkingSet
from server.specs import Admission, Key, PermissionRecord, Write
from sync.model import Mutation, MutationError, Record

DISPUTE_EDITORS = frozenset({"grid_worker", "community_admin", "street_admin", "district_admin"})


# -- disputes -----------------------------------------------------------------------------------
def dispute_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    return id_of(record.get("community_id")), None


def can_read_dispute(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    return p.role in COMMUNITY_STAFF | ADMIN_ROLES and in_scope(p, tree, record.get("community_id"))


def check_dispute_write(w: Write) -> str | None:
    p = w.principal
    if p.role not in DISPUTE_EDITORS:
        return "your role cannot edit disputes"
    if not in_scope(p, w.tree, w.merged.get("community_id")):
        return "the dispute's community is outside your scope"
    if w.op == "delete" and p.role not in ADMIN_ROLES:
        return "only an admin deletes a dispute; withdraw it instead (status withdrawn)"
    rated = w.proposed.get("satisfaction", None)
    if (
        "satisfaction" in w.proposed
        and rated != (w.current or {}).get("satisfaction")
        and p.role != "community_admin"
    ):
        return "the community hall records the resident's satisfaction (回访)"
    return None


# -- visits -------------------------------------------------------------------------------------
def visit_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    return id_of(record.get("scope_org_id") or record.get("community_id")), None


def can_read_visit(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    return p.role in COMMUNITY_STAFF | ADMIN_ROLES and in_scope(p, tree, visit_scope(record)[0])


def check_visit_write(w: Write) -> str | None:
    if w.principal.role not in COMMUNITY_STAFF | ADMIN_ROLES:
        return "your role cannot record visits"
    if not in_scope(w.principal, w.tree, visit_scope(w.merged)[0]):
        return "the dispute is outside your scope"
    if w.op == "delete" and w.principal.role not in ADMIN_ROLES:
        return "only an admin deletes a visit record"
    return None


def admit_visit(a: Admission) -> MutationError | None:
    """A visit needs its dispute, whose community becomes the visit's scope."""
    dispute_id = a.proposal.get("dispute_id") or (a.stored or {}).get("dispute_id")
    dispute = a.ws.records.get(("disputes", str(dispute_id)))
    if dispute is None and a.stored is None:
        return MutationError(
            "validation", "the visit's dispute does not exist", {"field": "dispute_id"}
        )
    if dispute is not None:
        a.proposal["scope_org_id"] = dispute.fields.get("community_id")
    return None


def derive_visit(ws: WorkingSet, record: Record) -> dict[str, Any] | None:
    """A visit's community is its dispute's (None: the dispute is not loaded; keep the row's)."""
    dispute = ws.records.get(("disputes", str(record.fields.get("dispute_id"))))
    if dispute is None:
        return None
    return {"community_id": dispute.fields.get("community_id")}


def visit_mutation_refs(m: Mutation) -> list[Key]:
    dispute_id = m.fields.get("dispute_id")
    return [("disputes", dispute_id)] if isinstance(dispute_id, str) else []


def visit_record_refs(record: Record) -> list[Key]:
    dispute_id = record.fields.get("dispute_id")
    return [("disputes", str(dispute_id))] if dispute_id else []
