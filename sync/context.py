"""Shared state of one mutation being planned, and small helpers every planner uses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from .hlc import hlc_device
from .model import Actor, Applied, Mutation, MutationError, Record, Rejected, SetDelta

#: RFC 4122's URL namespace: conflict ids are uuid5 of a name under it (vectors/README.md).
CONFLICT_NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")


def conflict_id(mutation_id: str, field_name: str | None) -> str:
    """Deterministic id of the conflict a mutation opens on a field (None: the whole record),
    so that a replayed or re-planned mutation names the same conflict."""
    name = f"doorstep-conflict:{mutation_id}:{field_name or '_record'}"
    return str(uuid.uuid5(CONFLICT_NAMESPACE, name))


class Gate(Protocol):
    """Permissions, implemented by the server (roles, org scope, per-field rules).

    ``proposed`` holds exactly the fields the mutation sets; ``current`` is the stored record or
    None for a create.  Return a ``forbidden`` (or other) error to reject, None to allow.
    """

    def check(
        self,
        actor: Actor,
        collection: str,
        current: Record | None,
        proposed: dict[str, Any],
        op: str,
    ) -> MutationError | None: ...


@dataclass(slots=True)
class Plan:
    """Everything one mutation will write, computed before anything is written."""

    status: str
    record_version: int | None
    writes: list[tuple[Record, Applied]] = field(default_factory=list)
    conflict_ids: list[str] = field(default_factory=list)
    #: (collection, record_id, delta) to remember for the pushing device
    set_deltas: list[tuple[str, str, SetDelta]] = field(default_factory=list)


@dataclass(slots=True)
class Ctx:
    """The facts a planner works from."""

    store: Any  # a sync.store.Store; Any avoids an import cycle for the Protocol
    actor: Actor
    mutation: Mutation
    hlc: str
    now_ms: int
    now: str
    gate: Gate | None

    def ask_gate(
        self, collection: str, current: Record | None, proposed: dict[str, Any], op: str
    ) -> None:
        """Reject with the gate's error, if it has one."""
        if self.gate is None:
            return
        error = self.gate.check(self.actor, collection, current, proposed, op)
        if error is not None:
            raise Rejected(error)

    def start_states(self, coll: Any, proposed: dict[str, Any]) -> dict[str, str] | None:
        """The state each state field of a new record starts in, or None when the gate sets no
        lifecycle rules (the engine alone, as the conformance vectors run it, takes a create's
        states as given).

        A server gate answers per writer (a session its own psychologist books starts
        `scheduled`) through an optional ``initial_states(actor, collection, proposed)`` method.
        """
        hook = getattr(self.gate, "initial_states", None)
        if hook is None:
            return None
        states: dict[str, str] = hook(self.actor, coll.name, proposed)
        return states

    def by_others(self, record: Record, key: str) -> bool:
        """Whether another device (or the server) wrote ``key`` after the mutation's base.

        A device's own earlier writes on top of its base are not "others": a device that queues
        two edits of one record offline must not conflict with itself.
        """
        if record.field_versions.get(key, 0) <= self.mutation.base_version:
            return False
        return hlc_device(record.field_clocks.get(key)) != self.actor.device_id

    def others_changed(self, record: Record) -> bool:
        """Whether anyone else changed the record since the base (``merged`` vs ``applied``)."""
        return any(self.by_others(record, key) for key in record.field_versions)

    def writer_user(self, record: Record, key: str) -> str | None:
        """The user whose device last wrote ``key`` (None for the server or an unknown device)."""
        device = hlc_device(record.field_clocks.get(key))
        if device is None:
            return None
        user: str | None = self.store.device_user(device)
        return user

    def base_fields(self, record: Record) -> dict[str, Any] | None:
        """The record's fields at the mutation's base version ({} for 0, None if unknown)."""
        base = self.mutation.base_version
        if base == 0:
            return {}
        if base == record.version:
            return dict(record.fields)
        snap: dict[str, Any] | None = self.store.get_snapshot(record.collection, record.id, base)
        return snap


def bump(record: Record, now: str) -> Record:
    """A copy of ``record`` one version up, stamped with the receive time."""
    out = record.copy()
    out.version += 1
    out.updated_at = now
    return out


def set_field(record: Record, name: str, value: Any, hlc: str) -> None:
    """Write one field of an already bumped record, with its version and clock."""
    record.fields[name] = value
    record.field_versions[name] = record.version
    record.field_clocks[name] = hlc
