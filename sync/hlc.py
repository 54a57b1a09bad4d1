"""Hybrid logical clocks as the protocol spells them.

An HLC is ``"<13-digit ms>-<4 lowercase hex counter>-<device_id>"``.  Because every part has a
fixed width except the trailing device id, plain string comparison orders HLCs by time, then
counter, then device id: the engine never needs to parse one to compare it.  HLCs only break ties
between concurrent edits of ``lww`` fields; the server's change sequence orders everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

#: A mutation clocked further than this ahead of the server is re-clocked by the server.
MAX_SKEW_MS = 300_000
#: Device id the server uses for its own writes (rules, deadline checker).
SERVER_DEVICE = "server"

_MAX_COUNTER = 0xFFFF
_HLC_RE = re.compile(r"^(\d{13})-([0-9a-f]{4})-([A-Za-z0-9_.:\-]{1,64})$")


class Hlc(NamedTuple):
    """A parsed HLC."""

    ms: int
    counter: int
    device_id: str


def parse_hlc(value: object) -> Hlc:
    """Parse an HLC string; raise ``ValueError`` when it is not one.

    Strict on purpose (lowercase hex, 13 digits): a laxer form would not sort as a string.
    """
    match = _HLC_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not an hlc: {value!r}")
    return Hlc(int(match.group(1)), int(match.group(2), 16), match.group(3))


def is_valid_hlc(value: object) -> bool:
    """True when ``value`` parses as an HLC."""
    try:
        parse_hlc(value)
    except ValueError:
        return False
    return True


def format_hlc(ms: int, counter: int, device_id: str) -> str:
    """Format an HLC; the inverse of :func:`parse_hlc`."""
    if not 0 <= ms <= 9_999_999_999_999:
        raise ValueError("hlc milliseconds out of range")
    if not 0 <= counter <= _MAX_COUNTER:
        raise ValueError("hlc counter out of range")
    return f"{ms:013d}-{counter:04x}-{device_id}"


def hlc_device(value: str | None) -> str | None:
    """The device id of an HLC string, or None when there is none or it does not parse."""
    if value is None:
        return None
    try:
        return parse_hlc(value).device_id
    except ValueError:
        return None


def too_far_ahead(value: str, now_ms: int) -> bool:
    """True when the HLC's time is more than :data:`MAX_SKEW_MS` ahead of the server."""
    return parse_hlc(value).ms > now_ms + MAX_SKEW_MS


@dataclass(slots=True)
class ServerClock:
    """Issues monotonic HLCs at the server's receive time.

    The server persists ``last`` (the last HLC issued) between requests so that two writes in the
    same millisecond still get increasing clocks.  The device id suffix is a parameter because a
    re-clocked device mutation keeps its own device id: the engine uses the suffix to recognise a
    device's own earlier writes.
    """

    last: str | None = None

    def tick(self, now_ms: int, device_id: str = SERVER_DEVICE) -> str:
        """Return a new HLC not below ``now_ms`` and above every HLC issued before."""
        ms, counter = now_ms, 0
        if self.last is not None:
            prev = parse_hlc(self.last)
            if prev.ms >= now_ms:
                ms, counter = prev.ms, prev.counter + 1
                if counter > _MAX_COUNTER:
                    ms, counter = prev.ms + 1, 0
        issued = format_hlc(ms, counter, device_id)
        self.last = format_hlc(ms, counter, SERVER_DEVICE)
        return issued
