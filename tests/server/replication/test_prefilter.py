"""Scope in SQL (issue 13): the pull's pre-filter is a superset of the permission check.

For random org trees, users (every role, posted anywhere) and records of every collection (their
scope fields pointing at random units and users, or nowhere), every record a user may read
(`permissions.can_read`, the authority) has its feed entry returned by the pre-filter query
(`server/replication/prefilter.py`), run on the test's database engine — on PostgreSQL through
both the asyncpg spelling and the portable one.  Scenarios are drawn by hypothesis with a fixed
seed (the same on every run), then run against the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from server import permissions, specs
from server.accounts.principal import Principal
from server.db import engine
from server.org.tree import OrgTree, Unit, load_tree
from server.replication import prefilter
from server.replication.tables import FeedEntry
from tests.helpers import COMMUNITY_A, COMMUNITY_B
from tests.server.replication.support import as_user, create_dispute

pytestmark = pytest.mark.usefixtures("database")

#: the kinds a unit may have, by depth below the district
KINDS = {
    1: ("street", "department"),
    2: ("community", "room", "department"),
    3: ("grid", "station", "room"),
}
ROLES = tuple(permissions.ROLE_RANK)
#: every field the collections' read rules and scopes look at
UNIT_FIELDS = ("community_id", "org_unit_id", "room_id", "department_id", "scope_org_id", "grid_id")
USER_FIELDS = ("psychologist_id", "user_id", "created_by", "yours_by", "theirs_by")
BASE_SEQ = 10**12  # far above the feed's own numbers; removed after each scenario


@dataclass
class Scenario:
    parents: list[int]  # parent index of unit i+1 (unit 0 is the district)
    kinds: list[int]
    users: list[tuple[int, int | None]]  # (role index, unit index or None)
    records: list[tuple[int, dict[str, int | None]]]  # (collection index, field -> choice)


def scenarios() -> st.SearchStrategy[Scenario]:
    return st.integers(min_value=1, max_value=12).flatmap(
        lambda n: st.builds(
            Scenario,
            parents=st.tuples(*[st.integers(0, i) for i in range(n)]).map(list),
            kinds=st.lists(st.integers(0, 2), min_size=n, max_size=n),
            users=st.lists(
                st.tuples(st.integers(0, len(ROLES) - 1), st.one_of(st.none(), st.integers(0, n))),
                min_size=3,
                max_size=8,
            ),
            records=st.lists(
                st.tuples(
                    st.integers(0, 50),
                    st.fixed_dictionaries(
                        {
                            name: st.one_of(st.none(), st.integers(0, 40))
                            for name in UNIT_FIELDS + USER_FIELDS
                        }
                    ),
                ),
                min_size=20,
                max_size=40,
            ),
        )
    )


EXAMPLES = 40
SEED = 20261203


def draw(count: int) -> list[Scenario]:
    drawn: list[Scenario] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @seed(SEED)
    @given(scenarios())
    def collect(scenario: Scenario) -> None:
        drawn.append(scenario)

    collect()
    return drawn[:count]


def build(scenario: Scenario) -> tuple[OrgTree, list[Principal], list[tuple[str, dict[str, Any]]]]:
    ids = [uuid.uuid4() for _ in range(len(scenario.parents) + 1)]
    depth = [0]
    units = [Unit(ids[0], "district", "区", None, "D")]
    for i, parent in enumerate(scenario.parents, start=1):
        depth.append(min(depth[parent] + 1, 3))
        options = KINDS[depth[i]]
        kind = options[scenario.kinds[i - 1] % len(options)]
        units.append(Unit(ids[i], kind, f"u{i}", ids[parent], f"U{i}"))
    tree = OrgTree(units)
    users = [
        Principal(
            user_id=uuid.uuid4(),
            device_id=uuid.uuid4(),
            username=f"user{n}",
            role=ROLES[role],
            org_unit_id=ids[unit] if unit is not None else None,
        )
        for n, (role, unit) in enumerate(scenario.users)
    ]
    names = specs.names()
    records = []
    for collection_choice, choices in scenario.records:
        record: dict[str, Any] = {"id": str(uuid.uuid4())}
        for name in UNIT_FIELDS:
            choice = choices[name]
            # mostly a unit of the tree, sometimes an id no unit has
            if choice is not None:
                record[name] = str(ids[choice % len(ids)] if choice < 36 else uuid.uuid4())
        for name in USER_FIELDS:
            choice = choices[name]
            if choice is not None:
                record[name] = str(
                    users[choice % len(users)].user_id if choice < 36 else uuid.uuid4()
                )
        records.append((names[collection_choice % len(names)], record))
    return tree, users, records


async def _matched(arms: prefilter.Arms, head: int, *, postgres: bool) -> set[str]:
    sql, args = prefilter.visible_entries_sql(arms, BASE_SEQ, head, 10_000, postgres=postgres)
    if not sql:
        return set()
    if postgres:
        db: Any = engine()
        async with db.pool.acquire() as conn:
            return {r[2] for r in await conn.fetch(sql, *args)}
    return {str(r["record_id"]) for r in await FeedEntry.raw(sql, *args)}


async def test_the_prefilter_is_a_superset_of_can_read() -> None:
    on_postgres = engine().engine_type == "postgres"
    checked = 0
    try:
        for scenario in draw(EXAMPLES):
            tree, users, records = build(scenario)
            await prefilter.sync_ancestors(tree)
            rows = []
            for offset, (collection, record) in enumerate(records, start=1):
                scope, owner, alt_user, alt_org = permissions.feed_keys(collection, record)
                rows.append(
                    FeedEntry(
                        key=f"{collection}/{record['id']}",
                        seq=BASE_SEQ + offset,
                        collection=collection,
                        record_id=uuid.UUID(record["id"]),
                        version=1,
                        deleted=False,
                        scope_org_id=scope,
                        owner_id=owner,
                        alt_user_id=alt_user,
                        alt_org_id=alt_org,
                    )
                )
            await FeedEntry.insert(*rows)
            head = BASE_SEQ + len(records)
            try:
                for user in users:
                    arms = prefilter.arms_for(user, tree)
                    readable = {
                        r["id"] for c, r in records if permissions.can_read(user, tree, c, r)
                    }
                    for postgres in (False, True) if on_postgres else (False,):
                        matched = await _matched(arms, head, postgres=postgres)
                        missing = readable - matched
                        assert not missing, (
                            user.role,
                            [c for c, r in records if r["id"] in missing],
                        )
                        checked += len(readable)
            finally:
                await FeedEntry.delete().where(FeedEntry.seq > BASE_SEQ)
    finally:
        await prefilter.sync_ancestors(await load_tree(force=True))
    assert checked > 50  # the scenarios did reach readable records


async def test_a_grid_workers_prefilter_leaves_other_communities_out(client: Any) -> None:
    """Not everything: the pre-filter does narrow (the benchmark measures how much it saves)."""
    in_a = await create_dispute(await as_user(client, "gw.a1"))
    in_b = await create_dispute(await as_user(client, "gw.b1"), community=COMMUNITY_B)
    assert COMMUNITY_A != COMMUNITY_B
    head, signature = await prefilter.head_and_tree()
    tree = await prefilter.current_tree(await load_tree(), signature)
    gw = await as_user(client, "gw.a1")
    principal = Principal(
        user_id=uuid.UUID(gw.user_id),
        device_id=uuid.uuid4(),
        username="gw.a1",
        role="grid_worker",
        org_unit_id=uuid.UUID(gw.user["org_unit_id"]),
    )
    sql, args = prefilter.visible_entries_sql(
        prefilter.arms_for(principal, tree), 0, head, 100_000, postgres=False
    )
    ids = {str(r["record_id"]) for r in await FeedEntry.raw(sql, *args)}
    assert in_a in ids and in_b not in ids


async def test_the_backfill_restores_the_feed_keys_of_older_entries(client: Any) -> None:
    """Entries written before the second user/org unit existed get them from their records."""
    from server.replication.backfill import backfill_feed_keys
    from tests.server.replication.support import create, new_order

    order = await create(await as_user(client, "admin.a"), "dispatch_orders", new_order())
    key = f"dispatch_orders/{order}"
    [before] = await FeedEntry.select(FeedEntry.alt_org_id).where(FeedEntry.key == key)
    assert before["alt_org_id"] is not None
    await FeedEntry.update({FeedEntry.alt_org_id: None}).where(FeedEntry.key == key)
    await backfill_feed_keys()
    [after] = await FeedEntry.select(FeedEntry.alt_org_id).where(FeedEntry.key == key)
    assert str(after["alt_org_id"]) == str(before["alt_org_id"])
