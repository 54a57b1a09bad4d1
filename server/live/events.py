"""A change event: what one committed write did to one record, without its content.

Events say which record changed, where it sits in the org tree, who owns it and which fields
changed, plus the record's level and status (enums) where it has them: enough for a command
screen to redraw a marker or for a device to know it should pull, and nothing a person could be
identified by (no titles, names, phones or free text).  They are built while the working set
flushes (inside the transaction, where scope and owner are known) and published only after the
transaction commits (`server.live.bus.publish`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from sync.model import DELETED_KEY, Record

#: enum fields whose value an event carries, when the collection has them and has no fields
#: private to one user (see `permissions.private_fields`: a psych session's risk is nobody's news)
LEVEL_FIELDS = ("risk_level", "level")
STATUS_FIELD = "status"


class ChangeEvent(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One committed change of one record (the JSON every channel carries)."""

    collection: str
    id: str
    version: int
    #: "created", "updated" or "deleted"
    op: str
    #: the fields this commit changed (names only), sorted
    fields: tuple[str, ...] = ()
    #: the org unit that scopes the record (its community, mostly) and its owner, if any
    scope_org_id: str | None = None
    owner_id: str | None = None
    #: the record's community when it names one (scope_org_id otherwise)
    community_id: str | None = None
    #: risk level (disputes, orders' disputes, sessions) or level (warnings), and status
    level: str | None = None
    status: str | None = None
    #: commit time, RFC 3339 UTC
    at: str = ""


def change_event(
    record: Record,
    changed: Iterable[str],
    *,
    created: bool,
    scope: str | None,
    owner: str | None,
    at: str,
    private: frozenset[str] = frozenset(),
) -> ChangeEvent:
    """The event for a record as this commit left it; `changed` names the fields written."""
    fields = record.fields
    names = sorted({name for name in changed if name != DELETED_KEY})
    op = "deleted" if record.deleted else "created" if created else "updated"
    # a record with fields private to one user (a psych session) says nothing of its state
    level = next(
        (str(fields[name]) for name in LEVEL_FIELDS if isinstance(fields.get(name), str)),
        None,
    )
    status = fields.get(STATUS_FIELD)
    if private:
        level = status = None
    community = fields.get("community_id")
    return ChangeEvent(
        collection=record.collection,
        id=record.id,
        version=record.version,
        op=op,
        fields=tuple(names),
        scope_org_id=scope,
        owner_id=owner,
        community_id=str(community) if isinstance(community, str) else scope,
        level=level,
        status=str(status) if isinstance(status, str) else None,
        at=at,
    )


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(ChangeEvent)


def encode(event: ChangeEvent) -> bytes:
    return _encoder.encode(event)


def decode(data: bytes | str) -> ChangeEvent:
    return _decoder.decode(data)


def as_dict(event: ChangeEvent) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(event)
    return out
