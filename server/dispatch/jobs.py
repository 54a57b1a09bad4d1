"""Dispatch-order deadlines, chasing and escalation (a scheduled job, every minute).

Past `arrive_by` without check-in or past `resolve_by` without resolution → overdue, a chase to
the department and an orange warning to the community; still overdue after each grace period →
escalation to the street, then the district.  Each order is handled in its own transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from server.dispatch.checkin import CHECKIN_FLAGGED
from server.dispatch.schema import ESCALATION_LEVELS
from server.dispatch.tables import DispatchOrder
from server.inbox.notices import Notice, local_time, notify
from server.inbox.recipients import People, people_of
from server.org.tree import load_tree
from server.permissions import as_uuid
from server.replication.reactions import AfterCommit, Reactor
from server.replication.store import WorkingSet
from server.scheduling.runner import aware, clock, each, ms, now_or
from server.warnings.rules import raise_warning
from sync.engine import server_write
from sync.model import Actor, Applied, Record

#: an overdue order climbs one level per grace period
ESCALATION_GRACE = timedelta(minutes=60)
OPEN_FOR_ARRIVAL = ("issued", "acknowledged", "reopened")
OPEN_FOR_RESOLUTION = ("issued", "acknowledged", "arrived", "reopened")
ESCALATION_ORDER = ESCALATION_LEVELS


async def check_deadlines(now: datetime | None = None) -> int:
    moment = now_or(now)
    rows = await DispatchOrder.select(DispatchOrder.id).where(
        DispatchOrder.deleted.eq(False),
        (
            (
                DispatchOrder.status.is_in(list(OPEN_FOR_ARRIVAL))
                & (DispatchOrder.arrive_by < moment)
            )
            | (
                DispatchOrder.status.is_in(list(OPEN_FOR_RESOLUTION))
                & (DispatchOrder.resolve_by < moment)
            )
        ),
    )
    ids = [r["id"] for r in rows] + [
        i for i in await late_flagged_checkins(moment) if i not in {r["id"] for r in rows}
    ]
    tree = await load_tree()

    async def handle(order_id: UUID, ws: WorkingSet) -> list[AfterCommit]:
        loaded = await ws.load_records([("dispatch_orders", str(order_id))])
        stamps = await DispatchOrder.select(DispatchOrder.overdue_since).where(
            DispatchOrder.id == order_id
        )
        if not loaded or not stamps:
            return []
        order = loaded[0]
        since = stamps[0]["overdue_since"]
        reactor = Reactor(ws, tree, ms(moment), clock)
        people = await people_of(reactor)
        fields = order.fields
        applied = []
        if not fields.get("overdue"):
            applied.append(
                server_write(
                    ws,
                    "dispatch_orders",
                    order.id,
                    {"overdue": True, "escalation_level": "community"},
                    now_ms=ms(moment),
                    clock=clock,
                )
            )
            await DispatchOrder.update({DispatchOrder.overdue_since: moment}).where(
                DispatchOrder.id == order_id
            )
            late_for = (
                "到场"
                if fields.get("status") in OPEN_FOR_ARRIVAL
                or fields.get("checkin_status") == CHECKIN_FLAGGED
                else "办结"
            )
            notify(
                reactor,
                chase_notice(
                    people,
                    order,
                    title=f"催办：派单已超过{late_for}时限",
                    subject=f"order/{order.id}/overdue",
                ),
            )
            applied += raise_warning(
                reactor,
                level="orange",
                source="dispatch_overdue",
                subject=ws.records[("dispatch_orders", order.id)] or order,
                org_unit_id=fields.get("community_id"),
                message=f"派单超时未{late_for}，请督办",
            )
        else:
            level = str(fields.get("escalation_level") or "community")
            steps = int((moment - aware(since or moment)) / ESCALATION_GRACE)
            target = ESCALATION_ORDER[min(steps, len(ESCALATION_ORDER) - 1)]
            if ESCALATION_ORDER.index(target) <= ESCALATION_ORDER.index(level):
                return []
            applied.append(escalate(reactor, people, order, target))
        return await reactor.run(applied)

    return await each(ids, handle)


def next_level(level: str | None) -> str | None:
    """The level above `level` on the ladder (None at the top)."""
    index = ESCALATION_ORDER.index(level) if level in ESCALATION_ORDER else 0
    return ESCALATION_ORDER[index + 1] if index + 1 < len(ESCALATION_ORDER) else None


def chase_notice(people: People, order: Record, *, title: str, subject: str) -> Notice:
    """A chase (催办) to the order's department officers."""
    fields = order.fields
    return Notice(
        users=frozenset(
            people.with_role("department_officer", as_uuid(fields.get("department_id")))
        ),
        type="dispatch_chase",
        title=title,
        body=f"化解时限 {local_time(fields.get('resolve_by'))}，请尽快处理",
        url=f"#/orders/{order.id}",
        subject=subject,
        urgency="high",
        topic=f"order/{order.id}",
    )


def escalate(
    reactor: Reactor, people: People, order: Record, target: str, actor: Actor | None = None
) -> Applied:
    """Raise an order to `target` on the ladder (street, district) and tell that level's
    admins: the deadline job's step, and a supervisor's 督办 (`actor` names them)."""
    applied = server_write(
        reactor.ws,
        "dispatch_orders",
        order.id,
        {"escalation_level": target},
        now_ms=reactor.now_ms,
        clock=reactor.clock,
        actor=actor,
    )
    place = reactor.tree.nearest(as_uuid(order.fields.get("community_id")), target)
    notify(
        reactor,
        Notice(
            users=frozenset(people.with_role(f"{target}_admin", place)),
            type="dispatch_escalated",
            title="督办：超时派单已升级",
            body=f"派单超时未办结，已升级至{'街道' if target == 'street' else '区'}级督办",
            url=f"#/orders/{order.id}",
            subject=f"order/{order.id}/escalated/{target}",
            urgency="high",
        ),
    )
    return applied


async def late_flagged_checkins(moment: datetime) -> list[UUID]:
    """Orders whose check-in is flagged 待核实 and reached the server after `arrive_by`: until
    the community verifies it, the reported time is only the officer's word, so arrival is
    judged by the receipt time (a backdated check-in must not escape the deadline)."""
    rows = await DispatchOrder.select(
        DispatchOrder.id, DispatchOrder.arrive_by, DispatchOrder.arrival_received_at
    ).where(
        DispatchOrder.deleted.eq(False),
        DispatchOrder.checkin_status == CHECKIN_FLAGGED,
        DispatchOrder.arrive_by < moment,
        DispatchOrder.overdue.is_null() | DispatchOrder.overdue.eq(False),
    )
    return [
        row["id"]
        for row in rows
        if row["arrival_received_at"] is not None
        and aware(row["arrival_received_at"]) > aware(row["arrive_by"])
    ]
