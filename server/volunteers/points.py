"""Points by rule, applied by the server when a report is answered, never by a device.

A community admin sets how many points each event is worth in their community
(`volunteer_points_rules`); a community without a rule for an event uses `DEFAULT_POINTS`.
The reaction runs in the push's transaction: the points ledger entry (`volunteer_points`,
append-only, unique per event and source so a replayed change awards once), the report's
`points` field (the volunteer's device pulls it) and a notice to the volunteer commit together
with the grid worker's answer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from server.inbox.notices import Notice, notify
from server.permissions import as_uuid
from server.replication.reactions import Reactor
from server.times import utc_iso
from server.volunteers.tables import PointsEntry, PointsRule
from sync.engine import server_write
from sync.model import Applied

#: events a rule can price, and their worth where a community has set nothing
DEFAULT_POINTS: dict[str, int] = {"report_accepted": 10, "report_merged": 2}
MAX_POINTS = 10_000
OUTCOME_TITLES = {
    "accepted": "您的随手拍已受理",
    "merged": "您的随手拍已合并处理",
    "dismissed": "您的随手拍未予受理",
}

_INSERT_SQL = (
    "INSERT INTO volunteer_points"
    " (volunteer_id, community_id, event, points, source_collection, source_id, created_at)"
    " VALUES ({}, {}, {}, {}, {}, {}, {})"
    " ON CONFLICT (event, source_collection, source_id) DO NOTHING"
)


async def rules_of(community_id: uuid.UUID) -> dict[str, int]:
    """Every event's points in this community (its rules over the defaults)."""
    rows = await PointsRule.select(PointsRule.event, PointsRule.points).where(
        PointsRule.community_id == community_id
    )
    return {**DEFAULT_POINTS, **{r["event"]: int(r["points"]) for r in rows}}


async def set_rules(community_id: uuid.UUID, rules: dict[str, int], actor: uuid.UUID) -> None:
    now = datetime.now(UTC)
    for event, points in rules.items():
        await PointsRule.delete().where(
            PointsRule.community_id == community_id, PointsRule.event == event
        )
        await PointsRule.insert(
            PointsRule(
                community_id=community_id,
                event=event,
                points=points,
                updated_by=actor,
                updated_at=now,
            )
        )


async def award_points_on_answer(reactor: Reactor, item: Applied) -> list[Applied]:
    """A report accepted or merged earns its volunteer the community's points for that event;
    every answer tells the volunteer."""
    if "status" not in item.changes or item.after.deleted:
        return []
    status = item.after.fields.get("status")
    volunteer = item.after.created_by
    if status not in OUTCOME_TITLES or volunteer is None:
        return []
    fields = item.after.fields
    community = as_uuid(fields.get("community_id"))
    out: list[Applied] = []
    event = f"report_{status}"
    if community is not None and event in DEFAULT_POINTS:
        points = (await rules_of(community)).get(event, 0)
        if points > 0:
            await PointsEntry.raw(
                _INSERT_SQL,
                as_uuid(volunteer),
                community,
                event,
                points,
                "reports",
                as_uuid(item.record_id),
                datetime.fromtimestamp(reactor.now_ms / 1000, UTC),
            )
            out.append(
                server_write(
                    reactor.ws,
                    "reports",
                    item.record_id,
                    {"points": points},
                    now_ms=reactor.now_ms,
                    clock=reactor.clock,
                )
            )
    notify(
        reactor,
        Notice(
            users=frozenset({str(volunteer)}),
            type="report_outcome",
            title=OUTCOME_TITLES[str(status)],
            # the reason stays in the synced report: push payloads carry no case details
            body="点击查看处理结果和积分",
            url=f"/#/volunteer/reports/{item.record_id}",
            subject=f"report/{item.record_id}/{status}",
        ),
    )
    return out


async def points_of(volunteer_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = (
        await PointsEntry.select()
        .where(PointsEntry.volunteer_id == volunteer_id)
        .order_by(PointsEntry.id)
    )
    return [
        {
            "event": r["event"],
            "points": int(r["points"]),
            "source_collection": r["source_collection"],
            "source_id": str(r["source_id"]),
            "at": _iso(r["created_at"]),
        }
        for r in rows
    ]


def _iso(value: Any) -> str | None:
    return utc_iso(value)
