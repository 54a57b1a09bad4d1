"""Who hears about what: active users looked up by role and place in the org tree.

The routing of a warning by its level is the warnings domain's (`server/warnings/routing.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from server.accounts.tables import User
from server.org.tree import OrgTree
from server.permissions import as_uuid
from server.replication.reactions import Reactor


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


async def people_of(reactor: Reactor) -> People:
    """The active users, loaded once per reaction run."""
    people: People | None = reactor.memo.get("inbox.people")
    if people is None:
        people = reactor.memo["inbox.people"] = await load_people(reactor.tree)
    return people
