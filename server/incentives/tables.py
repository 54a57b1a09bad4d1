"""Tables of the incentive fund.  Money is in fen (integers), never floats.

- `incentive_funds`: one row per (org unit, year): the budget and the running totals.  The row
  is what concurrent awards lock (SELECT ... FOR UPDATE), see `ledger.py`.
- `incentive_ledger`: every movement of money, append-only (triggers refuse UPDATE and DELETE
  on both engines); a correction is a reversing entry.  The fund's figures are its sums.
- `incentive_awards`: one cash award to a volunteer, with its source record, approver and the
  client's idempotency key; its `status` moves awarded → batched → paid (or reversed).
- `incentive_batches`: a payout batch, proposed by a community admin and approved by a street
  admin (never the same person), exported for the finance office and marked paid.
- `incentive_events`: the audit trail of every step, append-only too; a volunteer reads the
  events of their own awards.
"""

from __future__ import annotations

from piccolo.columns import JSON, UUID, BigInt, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class Fund(Table, tablename="incentive_funds"):
    id = UUID(primary_key=True)
    org_unit_id = UUID(index=True)
    year = Integer()
    budget_fen = BigInt(default=0)
    awarded_fen = BigInt(default=0)
    paid_fen = BigInt(default=0)
    updated_at = Timestamptz()


class LedgerEntry(Table, tablename="incentive_ledger"):
    id = Serial(primary_key=True)
    fund_id = UUID(index=True)
    #: budget | award | reversal | payout
    kind = Varchar(length=16)
    #: signed: a reversal is the negative of its award
    amount_fen = BigInt()
    award_id = UUID(null=True, default=None, index=True)
    batch_id = UUID(null=True, default=None)
    actor_id = UUID(null=True, default=None)
    note = Varchar(length=500, null=True, default=None)
    created_at = Timestamptz()


class Award(Table, tablename="incentive_awards"):
    id = UUID(primary_key=True)
    fund_id = UUID(index=True)
    volunteer_id = UUID(index=True)
    community_id = UUID(index=True)
    amount_fen = BigInt()
    reason = Varchar(length=500)
    source_collection = Varchar(length=64)
    source_id = UUID()
    approved_by = UUID()
    #: the client's key and a digest of the request it came with (a replay must match)
    idempotency_key = Varchar(length=200, null=True, default=None)
    request_digest = Varchar(length=64, null=True, default=None)
    #: awarded | batched | paid | reversed
    status = Varchar(length=16, default="awarded")
    batch_id = UUID(null=True, default=None, index=True)
    created_at = Timestamptz()


class Batch(Table, tablename="incentive_batches"):
    id = UUID(primary_key=True)
    org_unit_id = UUID(index=True)
    #: proposed | approved | paid
    status = Varchar(length=16, default="proposed")
    total_fen = BigInt(default=0)
    award_count = Integer(default=0)
    proposed_by = UUID()
    proposed_at = Timestamptz()
    approved_by = UUID(null=True, default=None)
    approved_at = Timestamptz(null=True, default=None)
    exported_at = Timestamptz(null=True, default=None)
    paid_by = UUID(null=True, default=None)
    paid_at = Timestamptz(null=True, default=None)
    note = Text(null=True, default=None)


class Event(Table, tablename="incentive_events"):
    id = Serial(primary_key=True)
    at = Timestamptz()
    actor_id = UUID(null=True, default=None)
    #: fund_budget | award | reverse | batch_proposed | batch_approved | batch_exported | paid
    action = Varchar(length=32)
    fund_id = UUID(null=True, default=None)
    award_id = UUID(null=True, default=None, index=True)
    batch_id = UUID(null=True, default=None, index=True)
    volunteer_id = UUID(null=True, default=None, index=True)
    details = JSON(default="{}")
