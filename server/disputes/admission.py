"""What a dispute write must satisfy before its permission slice is asked: it belongs to one
community, and the people and grids it names are of that community (issue 9 item 8).

Without this a grid worker could assign community B's staff (who would then be notified of,
and look for, a dispute they cannot read) or file the dispute under another community's grid,
skewing both communities' statistics."""

from __future__ import annotations

from server.permissions import admit_new_in_community, as_uuid
from server.specs import Admission, Key
from sync.model import Mutation, MutationError


def dispute_mutation_refs(m: Mutation) -> list[Key]:
    """The assignee's user record, to check where they work."""
    assignee = m.fields.get("assignee_id")
    return [("users", assignee)] if isinstance(assignee, str) else []


def admit_dispute(a: Admission) -> MutationError | None:
    error = admit_new_in_community(a)
    if error is not None or a.op == "delete":
        return error
    community = as_uuid({**(a.stored or {}), **a.proposal}.get("community_id"))
    details = {"collection": a.collection}
    if a.proposal.get("grid_id"):
        grid = a.tree.get(as_uuid(a.proposal["grid_id"]))
        if grid is None or grid.kind != "grid" or not a.tree.is_within(grid.id, community):
            return MutationError(
                "validation",
                "grid_id must name a grid of the dispute's community",
                {**details, "field": "grid_id"},
            )
    if a.proposal.get("assignee_id"):
        user = a.ws.records.get(("users", str(a.proposal["assignee_id"])))
        works_at = as_uuid(user.fields.get("org_unit_id")) if user is not None else None
        if works_at is None or not a.tree.is_within(works_at, community):
            return MutationError(
                "validation",
                "assignee_id must name someone who works in the dispute's community",
                {**details, "field": "assignee_id"},
            )
    return None
