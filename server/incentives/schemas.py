"""Request and response bodies of the incentive fund (msgspec; unknown fields refused).
Money is integers of fen: a float such as 12.5 is refused by the decoder, not rounded."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from server.incentives.ledger import MAX_FEN

Fen = Annotated[int, msgspec.Meta(ge=1, le=MAX_FEN)]
Year = Annotated[int, msgspec.Meta(ge=2000, le=2100)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
CollectionName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]


class FundOut(msgspec.Struct):
    org_unit_id: str
    year: int
    currency: str
    unit: str
    budget: int
    awarded: int
    paid: int
    balance: int


class BudgetIn(msgspec.Struct, forbid_unknown_fields=True):
    org_unit_id: UUID
    year: Year
    budget_fen: Annotated[int, msgspec.Meta(ge=0, le=MAX_FEN)]


class AwardIn(msgspec.Struct, forbid_unknown_fields=True):
    volunteer_id: UUID
    amount_fen: Fen
    reason: Reason
    source_collection: CollectionName
    source_id: UUID
    #: the client's key, when it cannot send the `Idempotency-Key` header
    idempotency_key: Key | None = None


class AwardOut(msgspec.Struct):
    id: str
    volunteer_id: str
    community_id: str
    amount_fen: int
    reason: str
    source_collection: str
    source_id: str
    approved_by: str
    status: str
    batch_id: str | None
    fund_id: str
    created_at: str | None


class ReverseIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class BatchIn(msgspec.Struct, forbid_unknown_fields=True):
    org_unit_id: UUID
    award_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=500)]


class BatchOut(msgspec.Struct):
    id: str
    org_unit_id: str
    status: str
    total_fen: int
    award_count: int
    proposed_by: str
    proposed_at: str | None
    approved_by: str | None
    approved_at: str | None
    exported_at: str | None
    paid_by: str | None
    paid_at: str | None


class BatchStep(msgspec.Struct):
    at: str | None
    action: str
    actor_id: str | None
    what: str


class BatchDetailOut(msgspec.Struct):
    batch: BatchOut
    awards: list[AwardOut]
    events: list[BatchStep]
