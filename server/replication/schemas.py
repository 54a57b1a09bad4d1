"""Bodies of the sync endpoints.  The push body is checked for shape here; what each mutation
means (collections, fields, values) is the engine's to judge, per mutation."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

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


class ResultOut(msgspec.Struct):
    id: str
    seq: int
    status: str
    record_version: int | None
    conflict_ids: list[str]
    clock_adjusted: bool
    error: dict[str, Any] | None


class PushOut(msgspec.Struct):
    server_time: str
    results: list[dict[str, Any]]


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
    changes: list[dict[str, Any]]
    evict: list[dict[str, str]]
