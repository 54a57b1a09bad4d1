"""Doorstep's sync engine: pure Python, no web or ORM imports (see CONVENTIONS.md).

The server builds on these names; the PWA's client mirrors the rules and passes sync/vectors.
"""

from __future__ import annotations

from .context import CONFLICT_NAMESPACE, Gate, conflict_id
from .engine import PushOutcome, push, server_write
from .hlc import MAX_SKEW_MS, Hlc, ServerClock, format_hlc, parse_hlc
from .model import (
    DELETED_KEY,
    Actor,
    Applied,
    InvalidMutation,
    Mutation,
    MutationError,
    Record,
    Rejected,
    Result,
)
from .store import MemoryStore, Store

__all__ = [
    "CONFLICT_NAMESPACE",
    "DELETED_KEY",
    "MAX_SKEW_MS",
    "Actor",
    "Applied",
    "Gate",
    "Hlc",
    "InvalidMutation",
    "MemoryStore",
    "Mutation",
    "MutationError",
    "PushOutcome",
    "Record",
    "Rejected",
    "Result",
    "ServerClock",
    "Store",
    "conflict_id",
    "format_hlc",
    "parse_hlc",
    "push",
    "server_write",
]
