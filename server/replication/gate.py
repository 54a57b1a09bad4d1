"""The engine's Gate: each mutation is asked of its collection's spec (`admit`: references and
field relations, with the working set at hand) and then of `server.permissions.check_write`."""

from __future__ import annotations

from typing import Any

from server import permissions, specs
from server.accounts.principal import Principal
from server.org.tree import OrgTree
from server.replication import attachments
from server.replication.store import WorkingSet
from sync.model import Actor, MutationError, Record


class ScopeGate:
    def __init__(self, principal: Principal, tree: OrgTree, ws: WorkingSet) -> None:
        self.principal = principal
        self.tree = tree
        self.ws = ws

    def _unnameable(
        self, collection: str, current: Record | None, proposed: dict[str, Any]
    ) -> MutationError | None:
        """A photo newly named in a record must be one the writer may name (see
        `attachments.find_unnameable`); those the record already holds stay as they are."""
        unnameable: set[str] = self.ws.memo.get(attachments.UNNAMEABLE, set())
        if not unnameable:
            return None
        held = attachments.named_hashes(collection, current.fields) if current else set()
        for name in attachments.attachment_fields(collection):
            named = attachments.hashes_in(proposed.get(name))
            if (named - held) & unnameable:
                return MutationError(
                    "forbidden",
                    "a record may name only photos you uploaded or can already see",
                    {"collection": collection, "field": name},
                )
        return None

    def initial_states(
        self, actor: Actor, collection: str, proposed: dict[str, Any]
    ) -> dict[str, str]:
        """The states a create by this user starts in (the spec's `initial_states` hook)."""
        spec = specs.find(collection)
        if spec is None:
            return {}
        return spec.initial_states_for(self.principal, proposed)

    def check(
        self,
        actor: Actor,
        collection: str,
        current: Record | None,
        proposed: dict[str, Any],
        op: str,
    ) -> MutationError | None:
        stored = self.ws.permission_record(current) if current is not None else None
        refused = self._unnameable(collection, current, proposed)
        if refused is not None:
            return refused
        proposal = dict(proposed)
        spec = specs.find(collection)
        if spec is not None and spec.admit is not None:
            error = spec.admit(
                specs.Admission(
                    self.principal, self.tree, self.ws, collection, stored, proposal, op
                )
            )
            if error is not None:
                return error
        refusal = permissions.check_write(
            self.principal, self.tree, collection, stored, proposal, op
        )
        if refusal is None:
            return None
        return MutationError("forbidden", refusal, {"collection": collection})
