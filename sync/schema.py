"""The vocabulary of synced collections (Field, Collection) and the registry the engine merges
against.

The collections themselves are declared by the server's domain packages (`server/<domain>/
schema.py`, pure modules importing only this one) and registered once, in `server/domains.py`,
through `register_collection`.  The merge engine reads policies and state machines from
`COLLECTIONS`; the server builds its tables' column lists and `GET /api/sync/schema` from it, and
the PWA reads that endpoint.  This package never imports the server: whoever runs the engine
(the server, the vector tests) registers the collections first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1
#: Pushes from this schema version and the current one are accepted; older get 426.
MIN_SCHEMA_VERSION = 0

# Field types.  `any` (conflict values) and `object` (a small JSON object such as an order's
# arrival record) extend the protocol's list; docs/sync.md says why.
TYPES = frozenset(
    {
        "string",
        "text",
        "integer",
        "boolean",
        "datetime",
        "enum",
        "ref",
        "geo",
        "list",
        "object",
        "any",
    }
)
POLICIES = frozenset({"lww", "manual", "set", "state", "immutable", "server"})

STRING_MAX = 200
TEXT_MAX = 10_000
LIST_MAX_ITEMS = 200


@dataclass(frozen=True)
class Field:
    """One field of a synced collection."""

    name: str
    type: str
    policy: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    max_length: int | None = None
    ref: str | None = None
    #: for `list` fields: "string", "attachment" (a sha256 hex), "party" ({name, phone, role}),
    #: "agreement_party" ({name, id_number_last4, role}) or "signature" ({party_name,
    #: attachment, signed_at}: a signature image drawn on the phone); for a `string` field,
    #: "attachment" says it holds one attachment's sha256 (a court ruling's scan)
    items: str | None = None
    #: for `integer` fields
    minimum: int | None = None
    maximum: int | None = None
    #: personal data: never in push payloads, exports list it
    personal: bool = False

    def describe(self) -> dict[str, Any]:
        """The field as `GET /api/sync/schema` serves it."""
        out: dict[str, Any] = {"type": self.type, "policy": self.policy, "required": self.required}
        if self.enum is not None:
            out["enum"] = list(self.enum)
        if self.max_length is not None:
            out["max_length"] = self.max_length
        if self.ref is not None:
            out["ref"] = self.ref
        if self.items is not None:
            out["items"] = self.items
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


@dataclass(frozen=True)
class Collection:
    """A synced collection: its fields, state machines and whether devices may write it."""

    name: str
    fields: dict[str, Field]
    states: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    #: org_units and users are a read-only directory
    device_writable: bool = True
    #: records only the server creates (conflicts, notifications): devices may update some of
    #: their fields, never create or delete them
    server_created: bool = False
    #: the state a record takes on create, per state field (its state machine's entry point;
    #: not part of `describe()`, so `GET /api/sync/schema` is unchanged)
    initial_states: dict[str, str] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fields": {n: f.describe() for n, f in self.fields.items()}}
        if self.states:
            out["states"] = {f: {s: list(t) for s, t in m.items()} for f, m in self.states.items()}
        return out


# Every record has these, all written by the server.
COMMON_FIELDS: tuple[Field, ...] = (
    Field("id", "ref", "server"),
    Field("version", "integer", "server"),
    Field("created_at", "datetime", "server"),
    Field("updated_at", "datetime", "server"),
    Field("created_by", "ref", "server", ref="users"),
)
COMMON_FIELD_NAMES = frozenset(f.name for f in COMMON_FIELDS)


def string_field(name: str, policy: str = "lww", **kw: Any) -> Field:
    return Field(name, "string", policy, max_length=kw.pop("max_length", STRING_MAX), **kw)


def text_field(name: str, policy: str = "lww", **kw: Any) -> Field:
    return Field(name, "text", policy, max_length=TEXT_MAX, **kw)


def enum_field(name: str, values: str, policy: str = "lww", **kw: Any) -> Field:
    return Field(name, "enum", policy, enum=tuple(values.split()), **kw)


def ref_field(name: str, target: str, policy: str = "lww", **kw: Any) -> Field:
    return Field(name, "ref", policy, ref=target, **kw)


def datetime_field(name: str, policy: str = "lww", **kw: Any) -> Field:
    return Field(name, "datetime", policy, **kw)


def collection(
    name: str,
    fields: list[Field],
    states: dict[str, dict[str, tuple[str, ...]]] | None = None,
    device_writable: bool = True,
    server_created: bool = False,
    initial_states: dict[str, str] | None = None,
) -> Collection:
    """A collection with the common fields first, then `fields` in order."""
    all_fields = {f.name: f for f in (*COMMON_FIELDS, *fields)}
    return Collection(
        name, all_fields, states or {}, device_writable, server_created, initial_states or {}
    )


#: vocabularies shared by several collections
RISK_LEVELS = "blue yellow orange red"
ROLES = (
    "grid_worker lawyer psychologist community_admin department_officer street_admin district_admin"
)

#: every registered collection, in registration order (the order `schema_document` lists them)
COLLECTIONS: dict[str, Collection] = {}


def register_collection(coll: Collection) -> Collection:
    """Add a collection to the registry the engine merges against.  Registering the same
    collection again is harmless; a different one under a taken name is a programming error."""
    known = COLLECTIONS.get(coll.name)
    if known is not None and known != coll:
        raise ValueError(f"collection {coll.name!r} is already registered differently")
    COLLECTIONS[coll.name] = coll
    return coll


def schema_document() -> dict[str, Any]:
    """The body of `GET /api/sync/schema`."""
    return {
        "schema_version": SCHEMA_VERSION,
        "collections": {name: c.describe() for name, c in COLLECTIONS.items()},
    }
