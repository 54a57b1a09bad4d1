"""The engine's Gate: server.permissions asked about every mutation, with the working set
supplying what a record alone does not say (a visit's community is its dispute's)."""

from __future__ import annotations

from typing import Any

from server import permissions
from server.accounts.principal import Principal
from server.org.tree import OrgTree
from server.permissions import as_uuid
from server.replication.store import WorkingSet
from sync.model import Actor, MutationError, Record


def as_permission_record(ws: WorkingSet, record: Record) -> dict[str, Any]:
    return {
        **record.fields,
        "id": record.id,
        "created_by": record.created_by,
        **{k: (str(v) if v is not None else None) for k, v in ws.derived_columns(record).items()},
    }


#: collections whose records belong to one community, named at creation
COMMUNITY_SCOPED = frozenset({"disputes", "consultations", "dispatch_orders"})


class ScopeGate:
    def __init__(self, principal: Principal, tree: OrgTree, ws: WorkingSet) -> None:
        self.principal = principal
        self.tree = tree
        self.ws = ws

    def check(
        self,
        actor: Actor,
        collection: str,
        current: Record | None,
        proposed: dict[str, Any],
        op: str,
    ) -> MutationError | None:
        stored = as_permission_record(self.ws, current) if current is not None else None
        proposal = dict(proposed)
        if collection == "visits":
            dispute_id = proposal.get("dispute_id") or (stored or {}).get("dispute_id")
            dispute = self.ws.records.get(("disputes", str(dispute_id)))
            if dispute is None and stored is None:
                return MutationError(
                    "validation", "the visit's dispute does not exist", {"field": "dispute_id"}
                )
            if dispute is not None:
                proposal["scope_org_id"] = dispute.fields.get("community_id")
        if current is None and collection in COMMUNITY_SCOPED:
            unit = self.tree.get(as_uuid(proposal.get("community_id")))
            if unit is None or unit.kind != "community":
                return MutationError(
                    "validation",
                    "community_id must name a community (not a grid, station or street)",
                    {"field": "community_id"},
                )
        if collection == "psych_sessions" and proposal.get("dispute_id"):
            # a referral may cite only a dispute its author can see
            dispute = self.ws.records.get(("disputes", str(proposal["dispute_id"])))
            if dispute is None or not permissions.can_read(
                self.principal, self.tree, "disputes", as_permission_record(self.ws, dispute)
            ):
                return MutationError(
                    "forbidden",
                    "the cited dispute does not exist or is outside your scope",
                    {"collection": collection, "field": "dispute_id"},
                )
        refusal = permissions.check_write(
            self.principal, self.tree, collection, stored, proposal, op
        )
        if refusal is None:
            return None
        return MutationError("forbidden", refusal, {"collection": collection})
