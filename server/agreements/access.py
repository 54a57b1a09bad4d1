"""Who may read and write mediation agreements, and how an agreement's scope is derived.

An agreement belongs to its dispute's community (copied onto its row as a derived column, like
a visit's).  The community's lawyers and community admins draft it, collect the signatures and
follow it to the court; grid workers and the admins above read it (a grid worker may show the
parties the text, never sign for them).  Only a draft is ever deleted (one made in error):
once signed, an agreement stays in the record, back to draft at most.
"""

from __future__ import annotations

from typing import Any

from server.accounts.principal import Principal
from server.agreements.schema import WITH_THE_COURT
from server.org.tree import OrgTree
from server.permissions import ADMIN_ROLES, COMMUNITY_STAFF, id_of, in_scope
from server.replication.store import WorkingSet
from server.specs import Key, PermissionRecord, Write
from sync.model import Mutation, Record

AGREEMENT_WRITERS = frozenset({"lawyer", "community_admin"})


def agreement_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    return id_of(record.get("scope_org_id") or record.get("community_id")), None


def can_read_agreement(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    return p.role in COMMUNITY_STAFF | ADMIN_ROLES and in_scope(p, tree, agreement_scope(record)[0])


def check_agreement_write(w: Write) -> str | None:
    p = w.principal
    if p.role not in AGREEMENT_WRITERS:
        return "only the community's lawyers and community admins draft and sign agreements"
    if not in_scope(p, w.tree, agreement_scope(w.merged)[0]):
        return "the agreement's dispute is outside your community"
    if w.op == "delete" and (w.current or {}).get("status") in WITH_THE_COURT:
        return "an agreement with the court is kept"
    if w.op == "delete" and (w.current or {}).get("status") not in (None, "draft"):
        return "a signed agreement is kept; take it back to draft instead"
    return None


def derive_agreement(ws: WorkingSet, record: Record) -> dict[str, Any] | None:
    """An agreement's community is its dispute's (None: the dispute is not loaded)."""
    dispute = ws.records.get(("disputes", str(record.fields.get("dispute_id"))))
    if dispute is None:
        return None
    return {"community_id": dispute.fields.get("community_id")}


def agreement_mutation_refs(m: Mutation) -> list[Key]:
    """The dispute a new agreement cites, and the users and room an edit names."""
    keys: list[Key] = []
    for field, collection in (("dispute_id", "disputes"), ("mediator_id", "users")):
        value = m.fields.get(field)
        if isinstance(value, str):
            keys.append((collection, value))
    return keys


def agreement_record_refs(record: Record) -> list[Key]:
    """A stored agreement's dispute: its parties and community judge every edit."""
    dispute_id = record.fields.get("dispute_id")
    return [("disputes", str(dispute_id))] if dispute_id else []
