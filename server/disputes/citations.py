"""Records that cite a dispute (a dispatch order, a consultation, a psych referral).

A citation must point at a dispute the writer may read and, for records that belong to one
community, at a dispute of that same community: otherwise an order could carry community B's
dispute into community A's feed, or name an id that does not exist (issue 9 item 8).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.permissions import can_read, id_of
from server.specs import Admission
from sync.model import Mutation, MutationError


def cited_dispute_refs(m: Mutation) -> list[tuple[str, str]]:
    """The dispute a mutation cites, to preload before the push is judged."""
    dispute_id = m.fields.get("dispute_id")
    return [("disputes", dispute_id)] if isinstance(dispute_id, str) else []


def check_cited_dispute(
    a: Admission, merged: Mapping[str, Any], community_field: str | None = "community_id"
) -> MutationError | None:
    """Why the dispute a write cites may not be cited (None when it may, or none is cited).

    Only a write that names `dispute_id` is judged: a stored citation stays as it was."""
    if not a.proposal.get("dispute_id"):
        return None
    dispute = a.ws.records.get(("disputes", str(a.proposal["dispute_id"])))
    details = {"collection": a.collection, "field": "dispute_id"}
    if dispute is None or dispute.deleted:
        return MutationError("validation", "the cited dispute does not exist", details)
    if not can_read(a.principal, a.tree, "disputes", a.ws.permission_record(dispute)):
        return MutationError("forbidden", "the cited dispute is outside your scope", details)
    if community_field is not None and id_of(dispute.fields.get("community_id")) != id_of(
        merged.get(community_field)
    ):
        return MutationError("forbidden", "the cited dispute belongs to another community", details)
    return None
