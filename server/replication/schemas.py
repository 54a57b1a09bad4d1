"""Bodies of the sync endpoints, as msgspec Structs (the controllers take and return them).
The push body is checked for shape here; what each mutation means (collections, fields,
values) is the engine's to judge, per mutation."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from sync.model import Mutation, Result

MAX_MUTATIONS = 500
#: names with a NUL character would reach stored answers, and PostgreSQL refuses NUL in text
NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=NO_NUL)]


class MutationIn(msgspec.Struct, forbid_unknown_fields=True):
    id: UUID
    seq: Annotated[int, msgspec.Meta(ge=1)]
    collection: Name
    record_id: UUID
    op: Literal["upsert", "delete"]
    base_version: Annotated[int, msgspec.Meta(ge=0)]
    hlc: Annotated[str, msgspec.Meta(min_length=1, max_length=120, pattern=NO_NUL)]
    fields: dict[Name, Any] = {}


class PushIn(msgspec.Struct, forbid_unknown_fields=True):
    schema_version: int
    mutations: list[MutationIn]

    def to_mutations(self) -> list[Mutation]:
        """The engine's mutations (ids as strings)."""
        return [
            Mutation(
                id=str(m.id),
                seq=m.seq,
                collection=m.collection,
                record_id=str(m.record_id),
                op=m.op,
                base_version=m.base_version,
                hlc=m.hlc,
                fields=m.fields,
            )
            for m in self.mutations
        ]


class ResultOut(msgspec.Struct):
    id: str
    seq: int
    status: str
    record_version: int | None
    conflict_ids: list[str]
    clock_adjusted: bool
    error: dict[str, Any] | None

    @classmethod
    def of(cls, result: Result) -> ResultOut:
        return cls(
            id=result.id,
            seq=result.seq,
            status=result.status,
            record_version=result.record_version,
            conflict_ids=list(result.conflict_ids),
            clock_adjusted=result.clock_adjusted,
            error=None if result.error is None else result.error.to_json(),
        )


class PushOut(msgspec.Struct):
    server_time: str
    results: list[ResultOut]


class ChangeOut(msgspec.Struct):
    collection: str
    record_id: str
    version: int
    deleted: bool
    fields: dict[str, Any]


class PullOut(msgspec.Struct):
    server_time: str
    cursor: str
    has_more: bool
    reset: bool
    #: wire dicts as the backends build them (`ChangeOut`'s shape): the pull's hot path makes
    #: them in one pass from the database row, and msgspec encodes them as fast as Structs
    changes: list[dict[str, Any]]
    evict: list[dict[str, str]]
