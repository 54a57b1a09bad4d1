"""What a dispatch order must satisfy before anyone's permissions are asked: the community it
belongs to, deadlines that can still be met, and a cited dispute of its own community."""

from __future__ import annotations

from datetime import UTC, datetime

from server.disputes.citations import check_cited_dispute
from server.permissions import admit_new_in_community
from server.specs import Admission
from sync.model import MutationError
from sync.times import parse_rfc3339


def admit_order(a: Admission) -> MutationError | None:
    error = admit_new_in_community(a)
    if error is not None:
        return error
    merged = {**(a.stored or {}), **a.proposal}
    if a.op != "delete":
        error = check_deadlines_in_order(a, merged)
        if error is not None:
            return error
    return check_cited_dispute(a, merged)


def check_deadlines_in_order(a: Admission, merged: dict[str, object]) -> MutationError | None:
    """An order issued with a deadline already past is overdue before the department hears of
    it (and would be escalated by the next job run); one that must be resolved before it must
    be reached cannot be met.  Both are `validation`: the community fixes the terms.

    "Already past" is judged when the order is issued (a create) or when its terms are moved;
    an order whose deadline passes later is what the overdue job is for."""
    now = datetime.now(UTC)
    arrive_by = parse_rfc3339(merged.get("arrive_by"))
    resolve_by = parse_rfc3339(merged.get("resolve_by"))
    for name, value in (("arrive_by", arrive_by), ("resolve_by", resolve_by)):
        moved = a.stored is None or name in a.proposal
        if moved and value is not None and value < now:
            return MutationError(
                "validation",
                f"{name} is already past: an order must leave time to act",
                {"collection": a.collection, "field": name},
            )
    if arrive_by is not None and resolve_by is not None and resolve_by < arrive_by:
        return MutationError(
            "validation",
            "resolve_by is before arrive_by: the department cannot resolve before arriving",
            {"collection": a.collection, "field": "resolve_by"},
        )
    return None
