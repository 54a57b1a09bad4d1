"""The `consultations` collection as the server runs it: a lawyer's log of the consultations
held in their community.  Only lawyers write it; lawyers and the admins above read it."""

from __future__ import annotations

from server.accounts.principal import Principal
from server.consultations.schema import CONSULTATIONS
from server.consultations.tables import Consultation
from server.disputes.citations import check_cited_dispute, cited_dispute_refs
from server.org.tree import OrgTree
from server.permissions import (
    ADMIN_ROLES,
    admit_new_in_community,
    id_of,
    in_scope,
    online_only_for_supervisors,
    subtree_for,
)
from server.specs import Admission, CollectionSpec, FeedScope, PermissionRecord, Write
from sync.model import MutationError


def consultation_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    return id_of(record.get("community_id")), None


def can_read_consultation(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    return p.role in {"lawyer"} | ADMIN_ROLES and in_scope(p, tree, record.get("community_id"))


def consultation_feed_scope(p: Principal, tree: OrgTree) -> FeedScope:
    return subtree_for(p, tree, frozenset({"lawyer"}) | ADMIN_ROLES)


def check_consultation_write(w: Write) -> str | None:
    if w.principal.role != "lawyer":
        return "only lawyers keep consultation logs"
    if not in_scope(w.principal, w.tree, w.merged.get("community_id")):
        return "the community is outside your scope"
    return None


def admit_consultation(a: Admission) -> MutationError | None:
    """A consultation belongs to one community and may cite only that community's disputes."""
    error = admit_new_in_community(a)
    if error is not None:
        return error
    return check_cited_dispute(a, {**(a.stored or {}), **a.proposal})


CONSULTATIONS_SPEC = CollectionSpec(
    schema=CONSULTATIONS,
    table=Consultation,
    can_read=can_read_consultation,
    check_write=check_consultation_write,
    admit=admit_consultation,
    mutation_refs=cited_dispute_refs,
    scope=consultation_scope,
    feed_scope=consultation_feed_scope,
    # supervisors never hold a client's name or phone: the whole log is read online
    device_copy=online_only_for_supervisors,
    rules_version=2,
)
