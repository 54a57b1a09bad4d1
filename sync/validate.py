"""Checking a mutation's fields against schema.py before anything is merged.

Every message is English; ``details`` always names the field (and the limit broken) so that a
client can show its own, translated message.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .model import Mutation, Record, reject
from .schema import (
    COLLECTIONS,
    COMMON_FIELD_NAMES,
    LIST_MAX_ITEMS,
    TEXT_MAX,
    Collection,
    Field,
)
from .times import parse_rfc3339

#: Largest integer both Python and the PWA's JavaScript hold exactly.
SAFE_INTEGER = 2**53 - 1
#: Budget for free-form JSON (``object`` and ``any`` fields), in canonical JSON characters.
JSON_MAX = TEXT_MAX

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_PARTY_KEYS = frozenset({"name", "phone", "role"})
_PARTY_MAX = {"name": 200, "phone": 32, "role": 64}
#: a mediation agreement's party: never a whole ID number, only its last four characters
_AGREEMENT_PARTY_MAX = {"name": 200, "id_number_last4": 4, "role": 64}
_LAST4_RE = re.compile(r"^[0-9]{3}[0-9X]$")
_SIGNATURE_KEYS = frozenset({"party_name", "attachment", "signed_at"})


def is_uuid(value: object) -> bool:
    """A canonical, lowercase UUID string (ids are compared as strings everywhere)."""
    return isinstance(value, str) and _UUID_RE.match(value) is not None


def canonical_json(value: Any) -> str:
    """The one JSON spelling of a value: set items and conflict values compare by it."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def collection_for(name: str, *, writing: bool = True) -> Collection:
    """The collection named ``name``; reject unknown ones, and read-only ones when writing."""
    coll = COLLECTIONS.get(name)
    if coll is None:
        raise reject("unknown_collection", f"unknown collection {name!r}", collection=name)
    if writing and not coll.device_writable:
        raise reject("forbidden", f"{name} is read-only", collection=name)
    return coll


def _number(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _is_json(value: object) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return False
    return not has_nul(value)


def has_nul(value: object) -> bool:
    """Whether a NUL character hides in a value: no text needs one, and PostgreSQL's text and
    jsonb cannot store it."""
    stack = [value]  # iterative: a value nested a thousand deep must not raise RecursionError
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _check_string(f: Field, value: object, one_line: bool) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    limit = f.max_length
    if limit is not None and len(value) > limit:
        return f"is longer than {limit} characters"
    if one_line and ("\n" in value or "\r" in value):
        return "must be a single line"
    if "\x00" in value:
        return "must not contain NUL characters"
    return None


def _check_geo(value: object) -> str | None:
    if not isinstance(value, dict):
        return "must be an object {lat, lng, accuracy_m}"
    extra = set(value) - {"lat", "lng", "accuracy_m"}
    if extra:
        return f"has unknown keys {sorted(extra)}"
    lat, lng = value.get("lat"), value.get("lng")
    if not _number(lat) or not -90 <= float(lat) <= 90:  # type: ignore[arg-type]
        return "lat must be a number between -90 and 90"
    if not _number(lng) or not -180 <= float(lng) <= 180:  # type: ignore[arg-type]
        return "lng must be a number between -180 and 180"
    accuracy = value.get("accuracy_m")
    if accuracy is not None and (not _number(accuracy) or float(accuracy) < 0):
        return "accuracy_m must be a non-negative number"
    return None


def _check_item(kind: str | None, item: object) -> str | None:
    if kind == "attachment":
        if not isinstance(item, str) or _SHA256_RE.match(item) is None:
            return "items must be sha256 hashes (64 lowercase hex digits)"
    elif kind == "party":
        if not isinstance(item, dict) or not set(item) <= _PARTY_KEYS:
            return "items must be objects with name, phone and role"
        for key, val in item.items():
            if not isinstance(val, str) or len(val) > _PARTY_MAX[key]:
                return f"{key} must be a string of at most {_PARTY_MAX[key]} characters"
        if not item.get("name"):
            return "every party needs a name"
    elif kind == "agreement_party":
        return _check_agreement_party(item)
    elif kind == "signature":
        return _check_signature(item)
    else:
        if not isinstance(item, str) or not item or len(item) > 200:
            return "items must be non-empty strings of at most 200 characters"
    return None


def _check_agreement_party(item: object) -> str | None:
    if not isinstance(item, dict) or not set(item) <= set(_AGREEMENT_PARTY_MAX):
        return "items must be objects with name, id_number_last4 and role (never a whole ID number)"
    for key, val in item.items():
        if not isinstance(val, str) or len(val) > _AGREEMENT_PARTY_MAX[key]:
            return f"{key} must be a string of at most {_AGREEMENT_PARTY_MAX[key]} characters"
    if not item.get("name"):
        return "every party needs a name"
    last4 = item.get("id_number_last4")
    if last4 and _LAST4_RE.match(last4) is None:
        return (
            "id_number_last4 must be the last four characters of an ID number (digits, or X last)"
        )
    return None


def _check_signature(item: object) -> str | None:
    if not isinstance(item, dict) or set(item) != _SIGNATURE_KEYS:
        return "items must be objects with party_name, attachment and signed_at"
    name, attachment = item.get("party_name"), item.get("attachment")
    if not isinstance(name, str) or not name or len(name) > 200:
        return "party_name must be a non-empty string of at most 200 characters"
    if not isinstance(attachment, str) or _SHA256_RE.match(attachment) is None:
        return "attachment must be a sha256 hash (64 lowercase hex digits)"
    if parse_rfc3339(item.get("signed_at")) is None:
        return "signed_at must be an RFC 3339 UTC timestamp (…Z)"
    return None


def _check_list(f: Field, value: object) -> str | None:
    if not isinstance(value, list):
        return "must be a list"
    if has_nul(value):
        return "must not contain NUL characters"
    if len(value) > LIST_MAX_ITEMS:
        return f"has more than {LIST_MAX_ITEMS} items"
    for item in value:
        problem = _check_item(f.items, item)
        if problem is not None:
            return problem
    keys = [canonical_json(item) for item in value]
    if len(set(keys)) != len(keys):
        return "has duplicate items"
    return None


def _check_typed(f: Field, value: object) -> str | None:
    kind = f.type
    if kind == "string" and f.items == "attachment":
        if not isinstance(value, str) or _SHA256_RE.match(value) is None:
            return "must be a sha256 hash (64 lowercase hex digits)"
        return None
    if kind == "string":
        return _check_string(f, value, one_line=True)
    if kind == "text":
        return _check_string(f, value, one_line=False)
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be an integer"
        low = f.minimum if f.minimum is not None else -SAFE_INTEGER
        high = f.maximum if f.maximum is not None else SAFE_INTEGER
        return None if low <= value <= high else f"must be between {low} and {high}"
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "datetime":
        ok = parse_rfc3339(value) is not None
        return None if ok else "must be an RFC 3339 UTC timestamp (…Z)"
    if kind == "enum":
        return None if value in (f.enum or ()) else f"must be one of {list(f.enum or ())}"
    if kind == "ref":
        return None if is_uuid(value) else "must be a lowercase UUID"
    if kind == "geo":
        return _check_geo(value)
    if kind == "list":
        return _check_list(f, value)
    if kind == "object":
        if not isinstance(value, dict):
            return "must be an object"
        if not _is_json(value) or len(canonical_json(value)) > JSON_MAX:
            return f"must be a JSON object of at most {JSON_MAX} characters"
        return None
    if kind == "any":
        if not _is_json(value) or len(canonical_json(value)) > JSON_MAX:
            return f"must be a JSON value of at most {JSON_MAX} characters"
        return None
    return f"has an unsupported type {kind}"  # pragma: no cover - schema.py is closed


def check_value(f: Field, value: object) -> str | None:
    """Why ``value`` does not fit field ``f`` (None when it does).

    ``null`` clears an optional scalar field; lists are cleared with ``[]``, never ``null``.
    """
    if value is None:
        if f.required:
            return "is required"
        if f.type == "list":
            return "must be a list (use [] to clear it)"
        return None
    return _check_typed(f, value)


def validate_value(collection: str, name: str, value: object) -> None:
    """Reject with ``validation`` when ``value`` does not fit ``collection.name``."""
    f = COLLECTIONS[collection].fields[name]
    problem = check_value(f, value)
    if problem is not None:
        raise reject(
            "validation",
            f"{collection}.{name} {problem}",
            field=name,
            problem=problem,
            type=f.type,
        )


def validate_fields(
    coll: Collection, fields: dict[str, Any], current: Record | None, *, device: bool = True
) -> None:
    """Check each field a mutation sets: known, writable by a device, of the right shape.

    ``current`` is the stored record (None for a create).  With ``device=False`` (server writes)
    only existence and shape are checked: the server may write ``server`` and ``immutable``
    fields.  Missing required fields are checked separately, on create only.
    """
    for name in sorted(fields):
        value = fields[name]
        f = coll.fields.get(name)
        if f is None:
            raise reject("unknown_field", f"{coll.name} has no field {name!r}", field=name)
        if device and (name in COMMON_FIELD_NAMES or f.policy == "server"):
            raise reject(
                "read_only_field", f"{coll.name}.{name} is written by the server only", field=name
            )
        if not device and name in COMMON_FIELD_NAMES:
            raise reject("read_only_field", f"{name} is managed by the engine", field=name)
        validate_value(coll.name, name, value)
        if (
            device
            and f.policy == "immutable"
            and current is not None
            and canonical_json(current.fields.get(name)) != canonical_json(value)
        ):
            raise reject(
                "immutable_field",
                f"{coll.name}.{name} is set at creation and cannot change",
                field=name,
            )


def validate_required(coll: Collection, fields: dict[str, Any]) -> None:
    """On create: every required field must be present and not null."""
    for f in coll.fields.values():
        if f.required and fields.get(f.name) is None:
            raise reject(
                "validation",
                f"{coll.name}.{f.name} is required",
                field=f.name,
                problem="is required",
                type=f.type,
            )


def validate_envelope(mutation: Mutation) -> None:
    """The parts of a mutation other than its fields: ids, op, delete without fields."""
    if not is_uuid(mutation.id):
        raise reject("validation", "mutation id must be a lowercase UUID", field="id")
    if not is_uuid(mutation.record_id):
        raise reject("validation", "record_id must be a lowercase UUID", field="record_id")
    if mutation.op not in ("upsert", "delete"):
        raise reject("validation", "op must be upsert or delete", field="op")
    if mutation.op == "delete" and mutation.fields:
        raise reject("validation", "a delete carries no fields", field="fields")
