"""Lifecycle facts: each applied change of a state field (and of a spec's `fact_fields`) as
one row of `lifecycle_facts`, written by `WorkingSet.flush` in the transaction of the change.

A fact is `(collection, record_id, field, from, to, at, by_user, by_device)` plus the record's
scope org unit (its community), creation time and version (COMMAND_API.md "Lifecycle facts").
A create counts as a change from null, so a new dispute gives `status: null → registered`.
Server writes (rules, the deadline job) are facts too, with no user or device.

Which fields are facts is the specs' business (`CollectionSpec.fact_field_names`); this module
names no collection.  The figures built on the facts live in `server/command/`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from server import specs
from sync.model import Applied, Record
from sync.times import parse_rfc3339

_encode = msgspec.json.Encoder(enc_hook=str).encode


def fact_value(value: Any) -> str | None:
    """A field value as the fact table keeps it: text for names and numbers, JSON for lists
    and objects, None for null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return _encode(value).decode()


def _fact_fields(collection: str, cache: dict[str, frozenset[str]]) -> frozenset[str]:
    names = cache.get(collection)
    if names is None:
        spec = specs.find(collection)
        names = cache[collection] = spec.fact_field_names if spec is not None else frozenset()
    return names


def fact_rows(
    writes: Iterable[tuple[Record, Applied]],
    scope_of: Callable[[Record], str | None],
    now: datetime,
) -> list[dict[str, Any]]:
    """The fact rows of a flush: for each write (record, applied change), one row per changed
    fact field, scoped by `scope_of(record)` (its community).  `at` is the server's time of the change (the record's
    `updated_at`, which the engine set from the push's or the job's clock), else `now`."""
    rows: list[dict[str, Any]] = []
    cache: dict[str, frozenset[str]] = {}
    for record, applied in writes:
        names = _fact_fields(record.collection, cache)
        if not names:
            continue
        changed = [n for n in sorted(names) if n in applied.changes]
        if not changed:
            continue
        actor = applied.actor
        at = parse_rfc3339(record.updated_at) or now
        created = parse_rfc3339(record.created_at)
        scope = scope_of(record)
        for name in changed:
            old, new = applied.changes[name]
            rows.append(
                {
                    "collection": record.collection,
                    "record_id": UUID(record.id),
                    "field": name,
                    "from_value": None if applied.before is None else fact_value(old),
                    "to_value": fact_value(new),
                    "at": at,
                    "record_created_at": created,
                    "record_version": record.version,
                    "by_user": _uuid(actor.user_id) if actor else None,
                    "by_device": _uuid(actor.device_id) if actor else None,
                    "scope_org_id": _uuid(scope),
                }
            )
    return rows


#: what a domain keeps from a flush's writes and facts once both are written, in the same
#: transaction (the disputes' milestones: server/disputes/milestones.py)
FactHook = Callable[[Sequence[tuple[Record, Applied]], Sequence[dict[str, Any]]], Awaitable[None]]
_AFTER_FACTS: dict[str, FactHook] = {}


def after_facts(name: str, hook: FactHook) -> None:
    """Run `hook(writes, facts)` after every flush's facts are written (once per name)."""
    _AFTER_FACTS.setdefault(name, hook)


async def run_after_facts(
    writes: Sequence[tuple[Record, Applied]], facts: Sequence[dict[str, Any]]
) -> None:
    for hook in _AFTER_FACTS.values():
        await hook(writes, facts)


def _uuid(value: str | None) -> UUID | None:
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError:
        return None  # "server" and other non-device actors
