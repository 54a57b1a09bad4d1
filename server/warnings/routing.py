"""Who a warning reaches, by its level (issue "graded warnings"): blue → the community's admins
and the assignee; yellow → plus the community's grid workers; orange → plus the street's admins;
red → plus the district's admins."""

from __future__ import annotations

from uuid import UUID

from server.inbox.recipients import People

LEVELS = ("blue", "yellow", "orange", "red")
LEVEL_NAMES = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}


def recipients(
    people: People, level: str, org_unit_id: UUID | None, assignee: str | None
) -> set[str]:
    tree = people.tree
    rank = LEVELS.index(level) if level in LEVELS else 0
    community = tree.nearest(org_unit_id, "community")
    street = tree.nearest(org_unit_id, "street")
    district = tree.nearest(org_unit_id, "district")
    out = people.with_role("community_admin", community)
    if community is None:
        # a warning on a street or district unit starts at that level's admins
        out |= people.with_role("street_admin", street)
    if assignee:
        out.add(assignee)
    if rank >= 1:
        out |= people.with_role("grid_worker", community)
    if rank >= 2:
        out |= people.with_role("street_admin", street)
    if rank >= 3:
        out |= people.with_role("district_admin", district)
    return out
