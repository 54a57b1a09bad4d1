"""A volunteer's own view (points, awards and each award's steps), the leaderboard and the
points rules.  Money and points come from their ledgers; nothing here writes either."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from server.incentives.audit import events_of_awards, iso
from server.incentives.tables import Award
from server.volunteers.directory import shown_names
from server.volunteers.points import points_of
from server.volunteers.tables import PointsEntry, VolunteerProfile


async def my_summary(user_id: UUID) -> dict[str, Any]:
    entries = await points_of(user_id)
    awards = (
        await Award.select()
        .where(Award.volunteer_id == user_id)
        .order_by(Award.created_at, ascending=False)
    )
    steps = await events_of_awards([a["id"] for a in awards])
    profile = await VolunteerProfile.select(VolunteerProfile.show_name).where(
        VolunteerProfile.user_id == user_id
    )
    return {
        "points": sum(e["points"] for e in entries),
        "points_entries": entries,
        "awards": [
            {
                "id": str(a["id"]),
                "amount_fen": int(a["amount_fen"]),
                "reason": a["reason"],
                "source_collection": a["source_collection"],
                "source_id": str(a["source_id"]),
                "status": a["status"],
                "created_at": iso(a["created_at"]),
                "steps": steps.get(str(a["id"]), []),
            }
            for a in awards
        ],
        "awarded_fen": sum(int(a["amount_fen"]) for a in awards if a["status"] != "reversed"),
        "paid_fen": sum(int(a["amount_fen"]) for a in awards if a["status"] == "paid"),
        "show_name": bool(profile and profile[0]["show_name"]),
    }


async def set_show_name(user_id: UUID, community_id: UUID | None, show: bool) -> None:
    updated = (
        await VolunteerProfile.update({VolunteerProfile.show_name: show})
        .where(VolunteerProfile.user_id == user_id)
        .returning(VolunteerProfile.user_id)
    )
    if not updated and community_id is not None:
        from datetime import UTC, datetime

        await VolunteerProfile.insert(
            VolunteerProfile(
                user_id=user_id,
                community_id=community_id,
                joined_at=datetime.now(UTC),
                show_name=show,
            )
        )


async def leaderboard(community_id: UUID, me: UUID | None, limit: int = 50) -> list[dict[str, Any]]:
    """Points per volunteer in a community, most first; names only of those who opted in."""
    rows = await PointsEntry.raw(
        "SELECT volunteer_id, SUM(points) AS points FROM volunteer_points"
        " WHERE community_id = {} GROUP BY volunteer_id ORDER BY points DESC, volunteer_id"
        " LIMIT {}",
        community_id,
        limit,
    )
    ids = [UUID(str(r["volunteer_id"])) for r in rows]
    shown = await shown_names(ids)
    return [
        {
            "rank": n,
            "name": shown.get(str(vid), "志愿者 ***"),
            "points": int(r["points"]),
            "me": me is not None and vid == me,
        }
        for n, (vid, r) in enumerate(zip(ids, rows, strict=True), start=1)
    ]
