"""The map's query parameters, checked: anything malformed is a 400 naming the parameter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from server.dispatch.schema import ORDER_STATES
from server.disputes.schema import DISPUTE_STATES, DISPUTES
from server.http.errors import ApiError
from sync.schema import RISK_LEVELS

LEVELS = tuple(RISK_LEVELS.split())
#: `status=open` asks for what still needs someone: disputes not resolved, closed or withdrawn,
#: warnings not closed, orders not yet resolved by their department
OPEN = "open"
CLOSED_DISPUTE_STATES = frozenset({"resolved", "closed", "withdrawn"})
OPEN_ORDER_STATES = frozenset({"issued", "acknowledged", "arrived", "reopened"})
WARNING_STATES = frozenset({"open", "closed"})
STATES = frozenset(DISPUTE_STATES) | frozenset(ORDER_STATES) | WARNING_STATES
SERVICE_TYPES = tuple(DISPUTES.fields["service_type"].enum or ())
DEFAULT_LIMIT = 2000
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class MapFilters:
    levels: frozenset[str] | None = None
    statuses: frozenset[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    service_types: frozenset[str] | None = None
    limit: int = DEFAULT_LIMIT

    def wants_level(self, level: str | None) -> bool:
        return self.levels is None or level in self.levels

    def wants_service(self, service_type: str | None) -> bool:
        return self.service_types is None or service_type in self.service_types


def _bad(field: str, zh: str, en: str, **details: object) -> ApiError:
    return ApiError(400, "invalid_request", f"{zh} ({en})", {"field": field, **details})


def _list(
    raw: str | None, field: str, allowed: tuple[str, ...] | frozenset[str]
) -> frozenset[str] | None:
    if raw is None:
        return None
    values = frozenset(v.strip() for v in raw.split(",") if v.strip())
    wrong = sorted(values - set(allowed))
    if not values or wrong:
        raise _bad(
            field,
            f"{field} 含有无效的值",
            f"{field} must be a comma-separated list of: {', '.join(sorted(allowed))}",
            invalid=wrong,
        )
    return values


def parse_time(raw: str | None, field: str) -> datetime | None:
    """An RFC 3339 time with its offset (`Z` or `+08:00`), as UTC."""
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in raw.upper():
        raise _bad(
            field,
            f"{field} 不是有效的时间",
            f"{field} must be an RFC 3339 time with an offset, e.g. 2026-12-01T00:00:00Z",
        )
    return moment.astimezone(UTC)


def parse_filters(
    levels: str | None,
    status: str | None,
    start: str | None,
    end: str | None,
    service_type: str | None,
    limit: int | None,
) -> MapFilters:
    begin, finish = parse_time(start, "from"), parse_time(end, "to")
    if begin is not None and finish is not None and begin >= finish:
        raise _bad("from", "开始时间须早于结束时间", "from must be before to")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise _bad("limit", f"limit 须在 1 到 {MAX_LIMIT} 之间", f"limit must be 1-{MAX_LIMIT}")
    return MapFilters(
        levels=_list(levels, "levels", LEVELS),
        statuses=_list(status, "status", STATES | {OPEN}),
        start=begin,
        end=finish,
        service_types=_list(service_type, "service_type", SERVICE_TYPES),
        limit=limit or DEFAULT_LIMIT,
    )
