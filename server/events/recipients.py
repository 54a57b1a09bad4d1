"""Who hears about what: the routing of warnings and notices over the org tree.

Warnings route by level (issue "graded warnings"): blue → the community's admins and the
assignee; yellow → plus the community's grid workers; orange → plus the street's admins;
red → plus the district's admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from server.accounts.tables import User
from server.org.tree import OrgTree
from server.permissions import as_uuid

LEVELS = ("blue", "yellow", "orange", "red")


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    role: str
    org_unit_id: UUID | None


class People:
    """Active users, looked up by role and place."""

    def __init__(self, people: list[Person], tree: OrgTree) -> None:
        self.people = people
        self.tree = tree

    def with_role(self, role: str, within: UUID | None) -> set[str]:
        """Users of `role` whose org unit is `within` or below it."""
        if within is None:
            return set()
        return {
            p.id
            for p in self.people
            if p.role == role and self.tree.is_within(p.org_unit_id, within)
        }

    def admins_above(self, unit: UUID | None, levels: int) -> set[str]:
        """Community, street and district admins from `unit` up `levels` steps of the tree."""
        out: set[str] = set()
        community = self.tree.nearest(unit, "community")
        street = self.tree.nearest(unit, "street")
        district = self.tree.nearest(unit, "district")
        chain = [
            ("community_admin", community),
            ("street_admin", street),
            ("district_admin", district),
        ]
        start = next((i for i, (_, u) in enumerate(chain) if u is not None), len(chain))
        for role, place in chain[start : start + levels]:
            out |= self.with_role(role, place)
        return out

    def for_warning(self, level: str, org_unit_id: UUID | None, assignee: str | None) -> set[str]:
        rank = LEVELS.index(level) if level in LEVELS else 0
        community = self.tree.nearest(org_unit_id, "community")
        street = self.tree.nearest(org_unit_id, "street")
        district = self.tree.nearest(org_unit_id, "district")
        out = self.with_role("community_admin", community)
        if community is None:
            # a warning on a street or district unit starts at that level's admins
            out |= self.with_role("street_admin", street)
        if assignee:
            out.add(assignee)
        if rank >= 1:
            out |= self.with_role("grid_worker", community)
        if rank >= 2:
            out |= self.with_role("street_admin", street)
        if rank >= 3:
            out |= self.with_role("district_admin", district)
        return out

    def one_level_up(self, org_unit_id: UUID | None) -> set[str]:
        """The admins of the level above a unit's own (community → street → district)."""
        unit = self.tree.get(org_unit_id)
        if unit is None:
            return set()
        if self.tree.nearest(org_unit_id, "community") is not None:
            return self.with_role("street_admin", self.tree.nearest(org_unit_id, "street"))
        return self.with_role("district_admin", self.tree.nearest(org_unit_id, "district"))


async def load_people(tree: OrgTree) -> People:
    rows = await User.select(User.id, User.role, User.org_unit_id).where(
        User.active.eq(True), User.deleted.eq(False)
    )
    return People(
        [Person(str(r["id"]), r["role"], as_uuid(r["org_unit_id"])) for r in rows],
        tree,
    )
