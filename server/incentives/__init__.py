"""The volunteer incentive fund (平安志愿者奖励基金): funds, the append-only ledger, awards and
two-person payout batches."""
