"""Volunteers as other domains need them: who is one, in which community, by what name."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from server.accounts.tables import User
from server.volunteers.tables import VolunteerProfile

VOLUNTEER_ROLE = "volunteer"


async def volunteer(user_id: UUID) -> dict[str, Any] | None:
    """An active volunteer's id, community and name; None for anyone else."""
    rows = await User.select(User.id, User.display_name, User.org_unit_id, User.active).where(
        User.id == user_id, User.role == VOLUNTEER_ROLE, User.deleted.eq(False)
    )
    if not rows or not rows[0]["active"] or rows[0]["org_unit_id"] is None:
        return None
    return dict(rows[0])


async def names(user_ids: list[UUID]) -> dict[str, str]:
    if not user_ids:
        return {}
    rows = await User.select(User.id, User.display_name).where(User.id.is_in(user_ids))
    return {str(r["id"]): r["display_name"] for r in rows}


async def shown_names(user_ids: list[UUID]) -> dict[str, str]:
    """Names for public lists: a volunteer's own name only when they chose to show it."""
    if not user_ids:
        return {}
    shown = {
        str(r["user_id"])
        for r in await VolunteerProfile.select(VolunteerProfile.user_id).where(
            VolunteerProfile.user_id.is_in(user_ids), VolunteerProfile.show_name.eq(True)
        )
    }
    real = await names(user_ids)
    return {str(u): real.get(str(u), "") if str(u) in shown else "志愿者 ***" for u in user_ids}
