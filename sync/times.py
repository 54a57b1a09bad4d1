"""RFC 3339 timestamps in UTC, the only time format on the wire."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RFC3339_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|\+00:00)$"
)


def parse_rfc3339(value: object) -> datetime | None:
    """Parse an RFC 3339 UTC timestamp; None when it is not one.

    Only UTC (``Z`` or ``+00:00``) is accepted: the protocol says times are UTC, and accepting
    offsets would make equal instants compare unequal wherever a store compares strings.
    """
    if not isinstance(value, str):
        return None
    match = _RFC3339_RE.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7) or ""
    micro = int((fraction + "000000")[:6]) if fraction else 0
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError:
        return None


def rfc3339_from_ms(ms: int) -> str:
    """Format epoch milliseconds as ``YYYY-MM-DDTHH:MM:SS.sssZ``."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def ms_from_rfc3339(value: str) -> int:
    """Epoch milliseconds of a valid RFC 3339 UTC timestamp (raises ValueError otherwise)."""
    moment = parse_rfc3339(value)
    if moment is None:
        raise ValueError(f"not an RFC 3339 UTC timestamp: {value!r}")
    return (moment - _EPOCH) // timedelta(milliseconds=1)
