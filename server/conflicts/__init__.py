"""Conflict records (opened by the sync engine, sync/conflicts.py): who sees and resolves them."""
