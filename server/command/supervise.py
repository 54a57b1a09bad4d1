"""Supervision of overdue orders (督办): the list, and a supervisor's two actions on an order.

- chase (催办): a notice to the department's officers through the inbox and Web Push, and the
  order's `last_chased_at`, written as the supervisor (audit trail and lifecycle fact name
  them); at most once per `CHASE_INTERVAL`, so a department's phones are not flooded.
- escalate (升级督办): the order one step up the dispatch ladder (community → street →
  district) with the notice to that level's admins: the same step the deadline job takes
  (`server/dispatch/jobs.py: escalate`), here by a person.

Both are for admins whose subtree holds the order's community (403 otherwise), on open
orders (409 once resolved or verified), each in one write transaction like a push.
"""

from __future__ import annotations

import inspect
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server.accounts.principal import Principal
from server.command import sql
from server.command.drill import ORDER_COLUMNS, item
from server.command.window import StatsWindow
from server.db import write_transaction
from server.dispatch.jobs import chase_notice, escalate, next_level
from server.http.errors import ApiError
from server.inbox.notices import notify
from server.inbox.recipients import people_of
from server.org.tree import load_tree
from server.permissions import ADMIN_ROLES, in_scope
from server.replication.reactions import AfterCommit, Reactor
from server.replication.rows import iso
from server.replication.store import WorkingSet
from server.scheduling.runner import clock
from sync.model import Actor, Applied, Record
from sync.times import parse_rfc3339

#: statuses of an order still to be handled
OPEN_STATUSES = ("issued", "acknowledged", "arrived", "reopened")
#: a department is chased by hand at most this often
CHASE_INTERVAL = timedelta(minutes=10)


async def overdue_orders(w: StatsWindow, limit: int, offset: int) -> dict[str, Any]:
    """Open orders of the subtree's communities that are overdue, most escalated first, then
    the oldest deadline (not windowed: what is late now)."""
    among, args = sql.among("o.community_id", w.communities)
    states = ", ".join("{}" for _ in OPEN_STATUSES)
    base = (
        f"FROM dispatch_orders o WHERE o.deleted = {{}} AND o.overdue = {{}} "
        f"AND o.status IN ({states}) AND {among}"
    )
    base_args = [False, True, *OPEN_STATUSES, *args]
    count = await sql.fetch(f"SELECT COUNT(*) AS n {base}", *base_args)
    columns = ", ".join(f"o.{c.strip()}" for c in ORDER_COLUMNS.split(","))
    rows = await sql.fetch(
        f"SELECT {columns}, o.overdue_since {base} ORDER BY "
        "CASE o.escalation_level WHEN 'district' THEN 0 WHEN 'street' THEN 1 ELSE 2 END, "
        "o.arrive_by, o.id LIMIT {} OFFSET {}",
        *base_args,
        limit,
        offset,
    )
    return {
        "org_unit_id": str(w.org_unit_id),
        "count": int(count[0]["n"]) if count else 0,
        "limit": limit,
        "offset": offset,
        "items": [
            {**item("dispatch_orders", row, w), "next_level": next_level(row["escalation_level"])}
            for row in rows
        ],
    }


async def chase(principal: Principal, order_id: uuid.UUID) -> dict[str, Any]:
    """催办: remind the department, as this supervisor."""

    def act(reactor: Reactor, order: Record, actor: Actor) -> list[Applied]:
        last = parse_rfc3339(order.fields.get("last_chased_at"))
        now = datetime.fromtimestamp(reactor.now_ms / 1000, UTC)
        if last is not None and now - last < CHASE_INTERVAL:
            raise ApiError(
                409,
                "chased_recently",
                "十分钟内已催办过 / this order was chased less than 10 minutes ago",
                {"last_chased_at": iso(last)},
            )
        people = reactor.memo["people"]
        notice = chase_notice(
            people,
            order,
            title="督办催办：请尽快处理派单",
            subject=f"order/{order.id}/chase/{reactor.now_ms}",
        )
        notify(reactor, notice)
        reactor.memo["notified"] = len(notice.users)
        return [
            _write(reactor, order, {"last_chased_at": iso(now)}, actor),
        ]

    record, memo = await _act(principal, order_id, act)
    return {
        "order_id": str(order_id),
        "last_chased_at": record.fields.get("last_chased_at"),
        "notified": memo.get("notified", 0),
    }


async def escalate_by_hand(principal: Principal, order_id: uuid.UUID) -> dict[str, Any]:
    """升级督办: one step up the ladder, as this supervisor."""

    def act(reactor: Reactor, order: Record, actor: Actor) -> list[Applied]:
        target = next_level(order.fields.get("escalation_level") or "community")
        if target is None:
            raise ApiError(
                409,
                "already_at_top",
                "已是区级督办 / the order is already supervised by the district",
            )
        return [escalate(reactor, reactor.memo["people"], order, target, actor)]

    record, _ = await _act(principal, order_id, act)
    return {
        "order_id": str(order_id),
        "escalation_level": record.fields.get("escalation_level"),
        "next_level": next_level(record.fields.get("escalation_level")),
    }


def _write(reactor: Reactor, order: Record, fields: dict[str, Any], actor: Actor) -> Applied:
    from sync.engine import server_write

    return server_write(
        reactor.ws,
        "dispatch_orders",
        order.id,
        fields,
        now_ms=reactor.now_ms,
        clock=reactor.clock,
        actor=actor,
    )


async def _act(
    principal: Principal, order_id: uuid.UUID, act: Any
) -> tuple[Record, dict[str, Any]]:
    """Load the order, check the supervisor may act on it, run `act` and its reactions, flush;
    after commit, wake the push deliverer."""
    if principal.role not in ADMIN_ROLES:
        raise ApiError(403, "forbidden", "仅管理员可督办 / only admins supervise orders")
    tree = await load_tree()
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    actor = Actor(str(principal.user_id), str(principal.device_id))
    async with write_transaction():
        ws = WorkingSet(actor.device_id, actor.user_id)
        loaded = await ws.load_records([("dispatch_orders", str(order_id))])
        if not loaded or loaded[0].deleted:
            raise ApiError(404, "not_found", "派单不存在 / no such order")
        order = loaded[0]
        if not in_scope(principal, tree, order.fields.get("community_id")):
            raise ApiError(403, "forbidden", "超出您的管辖范围 / this order is outside your scope")
        if order.fields.get("status") not in OPEN_STATUSES:
            raise ApiError(409, "order_closed", "派单已办结 / the order is already resolved")
        reactor = Reactor(ws, tree, now_ms, clock)
        reactor.memo["people"] = await people_of(reactor)
        applied = act(reactor, order, actor)
        after_commit: list[AfterCommit] = await reactor.run(applied)
        await ws.flush()
        result = ws.records[("dispatch_orders", order.id)] or order
        memo = dict(reactor.memo)
    for callback in after_commit:
        started = callback()
        if inspect.isawaitable(started):
            await started
    return result, memo
