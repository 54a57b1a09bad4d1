"""The synced collections of schema version 1, field by field.

This module is the single source of truth for SCHEMA.md inside the code: the merge engine reads
policies and state machines from it, the server builds its tables' column lists and
`GET /api/sync/schema` from it, and the PWA reads that endpoint.  Keep it declarative.
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
    #: for `list` fields: "string", "attachment" (a sha256 hex) or "party" ({name, phone, role})
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


def _s(name: str, policy: str = "lww", **kw: Any) -> Field:
    return Field(name, "string", policy, max_length=kw.pop("max_length", STRING_MAX), **kw)


def _t(name: str, policy: str = "lww", **kw: Any) -> Field:
    return Field(name, "text", policy, max_length=TEXT_MAX, **kw)


def _e(name: str, values: str, policy: str = "lww", **kw: Any) -> Field:
    return Field(name, "enum", policy, enum=tuple(values.split()), **kw)


def _r(name: str, target: str, policy: str = "lww", **kw: Any) -> Field:
    return Field(name, "ref", policy, ref=target, **kw)


def _d(name: str, policy: str = "lww", **kw: Any) -> Field:
    return Field(name, "datetime", policy, **kw)


def _collection(
    name: str,
    fields: list[Field],
    states: dict[str, dict[str, tuple[str, ...]]] | None = None,
    device_writable: bool = True,
) -> Collection:
    all_fields = {f.name: f for f in (*COMMON_FIELDS, *fields)}
    return Collection(name, all_fields, states or {}, device_writable)


RISK_LEVELS = "blue yellow orange red"
ROLES = (
    "grid_worker lawyer psychologist community_admin department_officer street_admin district_admin"
)
ORG_KINDS = "district street community station grid department room"
LEADER_LEVELS = "staff section deputy_division division deputy_bureau bureau"

DISPUTE_STATES: dict[str, tuple[str, ...]] = {
    "registered": ("mediating", "escalated", "withdrawn"),
    "mediating": ("resolved", "escalated"),
    "escalated": ("mediating", "resolved"),
    "resolved": ("closed", "mediating"),
    "closed": ("mediating",),
    "withdrawn": (),
}
SESSION_STATES: dict[str, tuple[str, ...]] = {
    "requested": ("scheduled", "cancelled"),
    "scheduled": ("completed", "cancelled", "no_show"),
    "completed": (),
    "cancelled": (),
    "no_show": (),
}
ORDER_STATES: dict[str, tuple[str, ...]] = {
    "issued": ("acknowledged",),
    "acknowledged": ("arrived",),
    "arrived": ("resolved",),
    "resolved": ("verified", "reopened"),
    "reopened": ("arrived",),
    "verified": (),
}
CONFLICT_STATES: dict[str, tuple[str, ...]] = {"open": ("resolved",), "resolved": ()}

COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        _collection(
            "org_units",
            [
                _e("kind", ORG_KINDS, "server"),
                _s("name", "server"),
                _r("parent_id", "org_units", "server"),
                _s("code", "server", max_length=64),
                Field("geo", "geo", "server"),
                _s("address", "server"),
            ],
            device_writable=False,
        ),
        _collection(
            "users",
            [
                _s("username", "server", max_length=64),
                _s("display_name", "server"),
                _e("role", ROLES, "server"),
                _r("org_unit_id", "org_units", "server"),
            ],
            device_writable=False,
        ),
        _collection(
            "disputes",
            [
                _r("community_id", "org_units", "immutable", required=True),
                _r("grid_id", "org_units"),
                _e("service_type", "dispute legal psych complaint assistance"),
                _e("channel", "door_to_door hall station app hotline", "immutable"),
                _e(
                    "category",
                    "neighbour family labour_wages property_rental land_demolition consumer "
                    "traffic environment other",
                ),
                _s("title", required=True),
                _t("description"),
                Field("parties", "list", "set", items="party", personal=True),
                Field("location", "geo", "lww"),
                _s("address"),
                Field("photos", "list", "set", items="attachment"),
                Field("tags", "list", "set", items="string"),
                _e("risk_level", RISK_LEVELS, "manual", required=True),
                _e("status", " ".join(DISPUTE_STATES), "state"),
                _r("assignee_id", "users"),
                _d("follow_up_at"),
                _t("resolution_summary", "manual"),
            ],
            states={"status": DISPUTE_STATES},
        ),
        _collection(
            "visits",
            [
                _r("dispute_id", "disputes", "immutable", required=True),
                _d("visited_at"),
                _e("kind", "visit mediation phone referral"),
                _t("notes"),
                Field("location", "geo", "lww"),
                Field("photos", "list", "set", items="attachment"),
                _e("outcome", "none agreement_reached no_agreement referred"),
            ],
        ),
        _collection(
            "consultations",
            [
                _r("community_id", "org_units", "immutable", required=True),
                _d("consulted_at"),
                _s("client_name", personal=True),
                _s("client_phone", max_length=32, personal=True),
                _e(
                    "topic",
                    "labour marriage_family housing_property contract_debt traffic_injury "
                    "administrative criminal other",
                ),
                _t("question"),
                _t("advice", "manual"),
                _e(
                    "referral",
                    "none legal_aid mediation judicial_confirmation litigation arbitration",
                    "manual",
                ),
                Field("duration_minutes", "integer", "lww", minimum=0, maximum=24 * 60),
                _r("dispute_id", "disputes"),
            ],
        ),
        _collection(
            "psych_slots",
            [
                _r("psychologist_id", "users", "immutable", required=True),
                _r("room_id", "org_units"),
                _d("starts_at", required=True),
                _d("ends_at", required=True),
                _e("status", "open blocked"),
            ],
        ),
        _collection(
            "psych_sessions",
            [
                _r("psychologist_id", "users", "immutable", required=True),
                _r("room_id", "org_units"),
                _d("starts_at", required=True),
                _d("ends_at", required=True),
                _s("client_ref", max_length=64),
                _r("dispute_id", "disputes"),
                _e("status", " ".join(SESSION_STATES), "state"),
                _t("notes"),
                _e("risk_level", "none low medium high critical", "manual"),
            ],
            states={"status": SESSION_STATES},
        ),
        _collection(
            "dispatch_orders",
            [
                _r("community_id", "org_units", "immutable", required=True),
                _r("dispute_id", "disputes", "immutable"),
                _r("department_id", "org_units", "immutable", required=True),
                _t("summary"),
                _e("required_leader_level", LEADER_LEVELS),
                _d("arrive_by", required=True),
                _d("resolve_by", required=True),
                _e("status", " ".join(ORDER_STATES), "state"),
                Field("arrival", "object", "lww"),
                _t("resolution_note", "manual"),
                Field("overdue", "boolean", "server"),
                _e("escalation_level", "community street district", "server"),
                Field("community_rating", "integer", "lww", minimum=1, maximum=5),
                Field("department_rating", "integer", "lww", minimum=1, maximum=5),
            ],
            states={"status": ORDER_STATES},
        ),
        _collection(
            "warnings",
            [
                # Written by the server's rules; an admin's manual warning sets them at creation
                # (source "manual"), so on devices they behave as `immutable`.
                _e("level", RISK_LEVELS, "immutable", required=True),
                _e("source", "dispute psych dispatch_overdue manual", "immutable"),
                _s("subject_collection", "immutable", max_length=64),
                _r("subject_id", "disputes", "immutable"),
                _r("org_unit_id", "org_units", "immutable", required=True),
                _t("message", "immutable"),
                Field("acknowledged_by", "list", "set", items="string"),
            ],
        ),
        _collection(
            "notifications",
            [
                _r("user_id", "users", "server"),
                _s("type", "server", max_length=64),
                _s("title", "server"),
                _s("body", "server", max_length=500),
                _s("url", "server", max_length=500),
                Field("read", "boolean", "lww"),
            ],
        ),
        _collection(
            "conflicts",
            [
                _s("target_collection", "server", max_length=64),
                Field("target_id", "ref", "server"),
                _s("field", "server", max_length=64),
                _e("kind", "field delete_vs_edit edit_vs_delete state", "server"),
                Field("base", "any", "server"),
                Field("theirs", "any", "server"),
                Field("yours", "any", "server"),
                _r("theirs_by", "users", "server"),
                _r("yours_by", "users", "server"),
                _e("status", "open resolved", "state"),
                Field("resolution", "any", "lww"),
                _r("resolved_by", "users", "server"),
            ],
            states={"status": CONFLICT_STATES},
        ),
    )
}


def schema_document() -> dict[str, Any]:
    """The body of `GET /api/sync/schema`."""
    return {
        "schema_version": SCHEMA_VERSION,
        "collections": {name: c.describe() for name, c in COLLECTIONS.items()},
    }
