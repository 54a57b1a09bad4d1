"""The engine's value objects, all JSON-friendly.

Records, mutations and results cross three boundaries (HTTP, the database, the PWA's test
vectors), so each has a ``to_json``/``from_json`` pair and holds only JSON values.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

#: The key under which ``field_versions``/``field_clocks`` track the ``deleted`` flag.
DELETED_KEY = "_deleted"

STATUSES = ("applied", "merged", "conflict", "rejected")
ERROR_CODES = (
    "forbidden",
    "validation",
    "unknown_collection",
    "unknown_field",
    "immutable_field",
    "read_only_field",
    "invalid_transition",
    "slot_taken",
    "seq_gap",
    "not_found",
)


class InvalidMutation(ValueError):
    """A mutation object so malformed it cannot even be answered (no usable id or seq).

    The server turns this into ``400 invalid_request`` for the whole push.
    """


@dataclass(slots=True)
class Record:
    """One synced record at its latest version, with per-field merge metadata."""

    collection: str
    id: str
    version: int = 0
    deleted: bool = False
    fields: dict[str, Any] = field(default_factory=dict)
    #: record version that last wrote each field (and ``_deleted``)
    field_versions: dict[str, int] = field(default_factory=dict)
    #: HLC of the write that set each field's current value (and ``_deleted``)
    field_clocks: dict[str, str] = field(default_factory=dict)
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None

    def copy(self) -> Record:
        """A deep copy, so a planned write never aliases the stored record."""
        return Record(
            self.collection,
            self.id,
            self.version,
            self.deleted,
            copy.deepcopy(self.fields),
            dict(self.field_versions),
            dict(self.field_clocks),
            self.created_at,
            self.updated_at,
            self.created_by,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "id": self.id,
            "version": self.version,
            "deleted": self.deleted,
            "fields": copy.deepcopy(self.fields),
            "field_versions": dict(self.field_versions),
            "field_clocks": dict(self.field_clocks),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "created_by": self.created_by,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(
            collection=str(data["collection"]),
            id=str(data["id"]),
            version=int(data.get("version", 0)),
            deleted=bool(data.get("deleted", False)),
            fields=copy.deepcopy(dict(data.get("fields") or {})),
            field_versions={str(k): int(v) for k, v in (data.get("field_versions") or {}).items()},
            field_clocks={str(k): str(v) for k, v in (data.get("field_clocks") or {}).items()},
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
            created_by=data.get("created_by"),
        )


@dataclass(slots=True)
class Mutation:
    """One change a device made while it was (maybe) offline, as sent in a push."""

    id: str
    seq: int
    collection: str
    record_id: str
    op: str
    base_version: int
    hlc: str
    fields: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "collection": self.collection,
            "record_id": self.record_id,
            "op": self.op,
            "base_version": self.base_version,
            "hlc": self.hlc,
            "fields": copy.deepcopy(self.fields),
        }

    @classmethod
    def from_json(cls, data: object) -> Mutation:
        """Read a wire mutation; raise :class:`InvalidMutation` on a wrong shape.

        Only the shape is checked here (so that every mutation that gets this far can be
        answered); the values (uuids, op, hlc, collection) are the engine's to reject.
        """
        if not isinstance(data, dict):
            raise InvalidMutation("a mutation must be an object")
        for key, kind in (
            ("id", str),
            ("collection", str),
            ("record_id", str),
            ("op", str),
            ("hlc", str),
        ):
            if not isinstance(data.get(key), kind):
                raise InvalidMutation(f"mutation.{key} must be a string")
        for key in ("seq", "base_version"):
            value = data.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidMutation(f"mutation.{key} must be a non-negative integer")
        if data["seq"] < 1:
            raise InvalidMutation("mutation.seq starts at 1")
        fields = data.get("fields", {})
        if fields is None:
            fields = {}
        if not isinstance(fields, dict):
            raise InvalidMutation("mutation.fields must be an object")
        return cls(
            id=data["id"],
            seq=data["seq"],
            collection=data["collection"],
            record_id=data["record_id"],
            op=data["op"],
            base_version=data["base_version"],
            hlc=data["hlc"],
            fields=copy.deepcopy(fields),
        )


@dataclass(frozen=True, slots=True)
class MutationError:
    """Why a mutation was rejected: the protocol's ``error`` object."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": copy.deepcopy(self.details)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MutationError:
        return cls(str(data["code"]), str(data.get("message", "")), dict(data.get("details") or {}))


class Rejected(Exception):
    """Raised inside the engine to abandon a mutation with a :class:`MutationError`."""

    def __init__(self, error: MutationError) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error


def reject(code: str, message: str, **details: Any) -> Rejected:
    """Build the exception for ``raise reject(...)``."""
    return Rejected(MutationError(code, message, details))


@dataclass(frozen=True, slots=True)
class Result:
    """The answer to one mutation, stored and replayed for repeats."""

    id: str
    seq: int
    status: str
    record_version: int | None = None
    conflict_ids: tuple[str, ...] = ()
    clock_adjusted: bool = False
    error: MutationError | None = None

    def to_json(self) -> dict[str, Any]:
        """Exactly the protocol's result object."""
        return {
            "id": self.id,
            "seq": self.seq,
            "status": self.status,
            "record_version": self.record_version,
            "conflict_ids": list(self.conflict_ids),
            "clock_adjusted": self.clock_adjusted,
            "error": None if self.error is None else self.error.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        error = data.get("error")
        return cls(
            id=str(data["id"]),
            seq=int(data["seq"]),
            status=str(data["status"]),
            record_version=data.get("record_version"),
            conflict_ids=tuple(data.get("conflict_ids") or ()),
            clock_adjusted=bool(data.get("clock_adjusted", False)),
            error=None if error is None else MutationError.from_json(error),
        )


@dataclass(frozen=True, slots=True)
class Actor:
    """Who pushes: the user and the device they push from."""

    user_id: str
    device_id: str


@dataclass(slots=True)
class Applied:
    """One write of one record; the server derives audit rows, warnings and notifications.

    ``changes`` maps each field whose value changed to ``(old, new)`` (``_deleted`` for the
    tombstone flag); ``discarded`` holds the values that lost an ``lww`` race (kept in the audit
    trail, as the protocol promises).
    """

    collection: str
    record_id: str
    before: Record | None
    after: Record
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    mutation_id: str | None = None
    actor: Actor | None = None
    discarded: dict[str, Any] = field(default_factory=dict)

    @property
    def created(self) -> bool:
        return self.before is None


@dataclass(frozen=True, slots=True)
class SetDelta:
    """What one device mutation did to a set field, from the device's point of view.

    A device that queues several edits of one record offline sends each with the same (old)
    base version, but builds each on its local copy, which already holds its earlier edits.
    Replaying these deltas on the base snapshot rebuilds that local copy, the true base of the
    set merge.  ``version`` is the record's version once the mutation was processed.
    """

    version: int
    field: str
    added: tuple[Any, ...]
    removed: tuple[Any, ...]

    def to_json(self) -> list[Any]:
        return [self.version, self.field, list(self.added), list(self.removed)]

    @classmethod
    def from_json(cls, data: list[Any]) -> SetDelta:
        return cls(int(data[0]), str(data[1]), tuple(data[2]), tuple(data[3]))
