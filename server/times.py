"""Timestamps for JSON answers outside the sync wire (which has `replication.rows.iso`).

PostgreSQL hands back aware datetimes, SQLite ISO strings, sometimes naive: all are UTC here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def utc_iso(value: Any, timespec: str = "auto") -> str | None:
    """`value` (a datetime or an ISO string from SQLite) as `...Z` in UTC, or None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z"))
