"""What every figure is asked for: an org unit's subtree and a time window `[from, to)`,
checked against the caller's scope (403 outside it, 400 for a bad unit, time or window)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

from server.accounts.principal import Principal
from server.http.errors import ApiError
from server.org.tree import OrgTree, Unit, load_tree
from server.permissions import ADMIN_ROLES, as_uuid, in_scope
from sync.times import parse_rfc3339

#: the longest window one request may ask for (a year and a bit: a yearly figure)
MAX_WINDOW = timedelta(days=400)
#: org kinds whose records the figures count: a dispute names a community, a warning may name
#: a street or the district
SCOPING_KINDS = frozenset({"district", "street", "community"})


@dataclass(frozen=True)
class StatsWindow:
    """An org unit's subtree over `[start, end)`, as the figures' SQL filters by it."""

    unit: Unit
    tree: OrgTree
    start: datetime
    end: datetime
    #: every unit at or below `unit` (records are scoped by any of them)
    units: tuple[UUID, ...]
    #: the communities at or below `unit` (disputes and orders name one)
    communities: tuple[UUID, ...]

    @property
    def org_unit_id(self) -> UUID:
        return self.unit.id

    def children(self) -> list[Unit]:
        """The child units a figure is broken down by: streets of a district, communities of a
        street (a community has none here: its records are not split further)."""
        return sorted(
            (
                u
                for u in self.tree.units.values()
                if u.parent_id == self.unit.id and u.kind in SCOPING_KINDS
            ),
            key=lambda u: u.code,
        )

    def child_of(self, unit_id: UUID | None) -> UUID | None:
        """The child of `unit` that `unit_id` lies in (None: `unit` itself or outside)."""
        chain = self.tree.ancestors(unit_id)
        for index, ancestor in enumerate(chain):
            if ancestor == self.unit.id:
                return chain[index - 1] if index > 0 else None
        return None


def bad_request(message: str, field: str) -> ApiError:
    return ApiError(400, "invalid_request", message, {"field": field})


def parse_time(value: str | None, field: str) -> datetime:
    moment = parse_rfc3339(value) if value else None
    if moment is None:
        raise bad_request(f"时间格式错误 / {field} must be an RFC 3339 UTC time", field)
    return moment


#: a report's month is the calendar month in Beijing time (UTC+8, no daylight saving)
BEIJING = timezone(timedelta(hours=8))


def parse_month(value: str | None) -> tuple[datetime, datetime]:
    """`YYYY-MM` as `[first instant, first instant of the next month)` of Beijing time."""
    try:
        if value is None or len(value) != 7 or value[4] != "-":
            raise ValueError(value)
        year, month = int(value[:4]), int(value[5:])
        start = datetime(year, month, 1, tzinfo=BEIJING)
    except ValueError:
        raise bad_request("月份格式错误 / month must be YYYY-MM", "month") from None
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=BEIJING)
    return start.astimezone(UTC), end.astimezone(UTC)


async def stats_window(
    principal: Principal, org_unit_id: str | None, start: datetime, end: datetime
) -> StatsWindow:
    """The window a supervisor may ask for, or the error that says why not."""
    if end <= start:
        raise bad_request("起止时间无效 / from must be before to", "to")
    if end - start > MAX_WINDOW:
        raise bad_request("时间范围过长 / a window is at most 400 days", "to")
    unit_id = as_uuid(org_unit_id)
    tree = await load_tree()
    unit = tree.get(unit_id)
    if unit is None or unit.kind not in SCOPING_KINDS:
        raise bad_request(
            "org_unit_id 须为区、街道或社区 / org_unit_id must name a district, street or community",
            "org_unit_id",
        )
    if principal.role not in ADMIN_ROLES:
        raise ApiError(403, "forbidden", "仅管理员可查看统计 / only admins read the figures")
    if not in_scope(principal, tree, unit.id):
        raise ApiError(403, "forbidden", "超出您的管辖范围 / this unit is outside your scope")
    return window_of(tree, unit, start, end)


def window_of(tree: OrgTree, unit: Unit, start: datetime, end: datetime) -> StatsWindow:
    """The window of a unit's subtree, for the server's own work (a report built by a job);
    requests go through `stats_window`, which checks the caller's scope first."""
    below = tuple(u for u in tree.units if tree.is_within(u, unit.id))
    communities = tuple(u for u in below if tree.units[u].kind == "community")
    return StatsWindow(unit, tree, start, end, below, communities)
