"""Check-in evidence: what the server adds to a department's reported arrival.

The PWA writes `arrival` as the officer reports it (`at`, leader, `location`); a phone's clock
and position are the officer's word.  On receipt the server keeps that report untouched and
writes beside it, as server fields, when the check-in reached it (`arrival_received_at`) and
how far the reported position is from the place of the matter (`arrival_distance_m`: the
dispute's location, else the community's centre from the org directory).  A check-in reported
more than 15 minutes before its receipt or more than 500 m away is flagged
`pending_verification` (待核实) until the issuing community verifies it; the deadline job then
judges arrival by the receipt time (server/dispatch/jobs.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from geographiclib.geodesic import Geodesic  # type: ignore[import-untyped]

from server.replication.reactions import Reactor
from sync.engine import server_write
from sync.model import Applied, Record
from sync.times import parse_rfc3339, rfc3339_from_ms

#: how far a check-in may be from the place, and how long it may take to reach the server
MAX_DISTANCE_M = 500
MAX_DELAY = timedelta(minutes=15)
CHECKIN_OK, CHECKIN_FLAGGED, CHECKIN_VERIFIED = "ok", "pending_verification", "verified"


def distance_m(a: Any, b: Any) -> int | None:
    """Metres between two geo values on the WGS84 ellipsoid (None when either is missing)."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return None
    try:
        line = Geodesic.WGS84.Inverse(
            float(a["lat"]), float(a["lng"]), float(b["lat"]), float(b["lng"])
        )
    except (KeyError, TypeError, ValueError):
        return None
    return round(float(line["s12"]))


def flagged(reported_at: datetime | None, received_at: datetime, distance: int | None) -> bool:
    """Whether a check-in needs the community's verification (待核实).

    No usable time or position is as suspect as a far or stale one."""
    if reported_at is None or distance is None:
        return True
    return received_at - reported_at > MAX_DELAY or distance > MAX_DISTANCE_M


async def _site(reactor: Reactor, order: Record) -> Any:
    """Where the order's matter is: its dispute's location, else its community's centre."""
    places = []
    if order.fields.get("dispute_id"):
        places.append((("disputes", str(order.fields["dispute_id"])), "location"))
    if order.fields.get("community_id"):
        places.append((("org_units", str(order.fields["community_id"])), "geo"))
    await reactor.ws.load_records(key for key, _ in places)
    for key, name in places:
        record = reactor.ws.records.get(key)
        if record is not None and not record.deleted and record.fields.get(name):
            return record.fields[name]
    return None


async def record_checkin_evidence(reactor: Reactor, item: Applied) -> list[Applied]:
    """A reaction: a new or changed `arrival` gets its receipt time, distance and flag."""
    if "arrival" not in item.changes or item.after.deleted:
        return []
    arrival = item.after.fields.get("arrival")
    if not isinstance(arrival, dict):
        return []
    received_at = datetime.fromtimestamp(reactor.now_ms / 1000, UTC)
    distance = distance_m(arrival.get("location"), await _site(reactor, item.after))
    status = (
        CHECKIN_FLAGGED
        if flagged(parse_rfc3339(arrival.get("at")), received_at, distance)
        else CHECKIN_OK
    )
    return [
        server_write(
            reactor.ws,
            "dispatch_orders",
            item.record_id,
            {
                "arrival_received_at": rfc3339_from_ms(reactor.now_ms),
                "arrival_distance_m": distance,
                "checkin_status": status,
            },
            now_ms=reactor.now_ms,
            clock=reactor.clock,
        )
    ]
