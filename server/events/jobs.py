"""Scheduled jobs, read from the database every minute (no long Celery ETAs):

- dispatch-order deadlines: past `arrive_by` without check-in or past `resolve_by` without
  resolution → overdue, a chase to the department and a warning to the community; still overdue
  after each grace period → escalation to the street, then the district;
- a red warning nobody acknowledged within 30 minutes is sent again one level up;
- psych session reminders 24 h and 1 h before, to the psychologist, with no clinical content.

Each item is handled in its own transaction, so one bad item does not stop the rest; `now` is a
parameter so tests control the clock.  Pushes are queued after each commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from server.db import write_transaction
from server.events.notices import Notice, local_time, send
from server.events.recipients import load_people
from server.events.rules import Reactor
from server.notify.services import kick_async
from server.org.tree import load_tree
from server.permissions import as_uuid
from server.records.tables import DispatchOrder, GradedWarning, PsychSession
from server.replication.store import WorkingSet
from sync.engine import server_write
from sync.hlc import ServerClock

log = logging.getLogger("doorstep.jobs")

#: an overdue order climbs one level per grace period
ESCALATION_GRACE = timedelta(minutes=60)
RED_ACK_WINDOW = timedelta(minutes=30)
OPEN_FOR_ARRIVAL = ("issued", "acknowledged", "reopened")
OPEN_FOR_RESOLUTION = ("issued", "acknowledged", "arrived", "reopened")
ESCALATION_ORDER = ("community", "street", "district")
SERVER = "server"

_clock = ServerClock()


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def _each(ids: list[Any], handle: Callable[[Any, WorkingSet], Awaitable[list[int]]]) -> int:
    """Run `handle` per item in its own transaction; count the items that changed."""
    done = 0
    for item_id in ids:
        try:
            async with write_transaction():
                ws = WorkingSet(SERVER, SERVER)
                deliveries = await handle(item_id, ws)
                await ws.flush()
        except Exception:
            log.exception("scheduled job failed on %s", item_id)
            continue
        if ws.writes:
            done += 1
        if deliveries:
            await kick_async(deliveries)
    return done


# -- dispatch-order deadlines -------------------------------------------------------------------


async def check_deadlines(now: datetime | None = None) -> int:
    moment = _now(now)
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
    tree = await load_tree()

    async def handle(order_id: UUID, ws: WorkingSet) -> list[int]:
        loaded = await ws.load_records([("dispatch_orders", str(order_id))])
        stamps = await DispatchOrder.select(DispatchOrder.overdue_since).where(
            DispatchOrder.id == order_id
        )
        if not loaded or not stamps:
            return []
        order = loaded[0]
        since = stamps[0]["overdue_since"]
        reactor = Reactor(ws, tree, _ms(moment), _clock)
        people = await reactor.people()
        fields = order.fields
        url = f"#/orders/{order.id}"
        applied = []
        if not fields.get("overdue"):
            applied.append(
                server_write(
                    ws,
                    "dispatch_orders",
                    order.id,
                    {"overdue": True, "escalation_level": "community"},
                    now_ms=_ms(moment),
                    clock=_clock,
                )
            )
            await DispatchOrder.update({DispatchOrder.overdue_since: moment}).where(
                DispatchOrder.id == order_id
            )
            late_for = "到场" if fields.get("status") in OPEN_FOR_ARRIVAL else "办结"
            reactor.notices.append(
                Notice(
                    users=frozenset(
                        people.with_role("department_officer", as_uuid(fields.get("department_id")))
                    ),
                    type="dispatch_chase",
                    title=f"催办：派单已超过{late_for}时限",
                    body=f"化解时限 {local_time(fields.get('resolve_by'))}，请尽快处理",
                    url=url,
                    subject=f"order/{order.id}/overdue",
                    urgency="high",
                    topic=f"order/{order.id}",
                )
            )
            applied += reactor.raise_warning(
                level="orange",
                source="dispatch_overdue",
                subject=ws.records[("dispatch_orders", order.id)] or order,
                org_unit_id=fields.get("community_id"),
                message=f"派单超时未{late_for}，请督办",
            )
        else:
            level = str(fields.get("escalation_level") or "community")
            steps = int((moment - _aware(since or moment)) / ESCALATION_GRACE)
            target = ESCALATION_ORDER[min(steps, len(ESCALATION_ORDER) - 1)]
            if ESCALATION_ORDER.index(target) <= ESCALATION_ORDER.index(level):
                return []
            applied.append(
                server_write(
                    ws,
                    "dispatch_orders",
                    order.id,
                    {"escalation_level": target},
                    now_ms=_ms(moment),
                    clock=_clock,
                )
            )
            community = as_uuid(fields.get("community_id"))
            place = tree.nearest(community, target)
            reactor.notices.append(
                Notice(
                    users=frozenset(people.with_role(f"{target}_admin", place)),
                    type="dispatch_escalated",
                    title="督办：超时派单已升级",
                    body=f"派单超时未办结，已升级至{'街道' if target == 'street' else '区'}级督办",
                    url=url,
                    subject=f"order/{order.id}/escalated/{target}",
                    urgency="high",
                )
            )
        return await reactor.run(applied)

    return await _each([r["id"] for r in rows], handle)


# -- red warnings nobody acknowledged ------------------------------------------------------------


async def resend_red_warnings(now: datetime | None = None) -> int:
    moment = _now(now)
    rows = (
        await GradedWarning.select(GradedWarning.id, GradedWarning.acknowledged_by)
        .where(
            GradedWarning.deleted.eq(False),
            GradedWarning.level == "red",
            GradedWarning.resent_at.is_null(),
            GradedWarning.created_at < moment - RED_ACK_WINDOW,
        )
        .output(load_json=True)
    )
    pending = [r["id"] for r in rows if not r["acknowledged_by"]]
    tree = await load_tree()

    async def handle(warning_id: UUID, ws: WorkingSet) -> list[int]:
        loaded = await ws.load_records([("warnings", str(warning_id))])
        if not loaded or loaded[0].fields.get("acknowledged_by"):
            return []
        warning = loaded[0]
        people = await load_people(tree)
        users = people.one_level_up(as_uuid(warning.fields.get("org_unit_id")))
        await GradedWarning.update({GradedWarning.resent_at: moment}).where(
            GradedWarning.id == warning_id
        )
        notice = Notice(
            users=frozenset(users),
            type="warning",
            title="红色预警30分钟未确认",
            body="一条红色预警无人确认，已上报上一级，请立即处置",
            url=f"#/inbox/warnings/{warning.id}",
            subject=f"warning/{warning.id}/resent",
            urgency="high",
            ttl=12 * 3600,
        )
        return await send(ws, [notice], now_ms=_ms(moment), clock=_clock)

    return await _each(pending, handle)


# -- psych session reminders ---------------------------------------------------------------------


async def send_reminders(now: datetime | None = None) -> int:
    moment = _now(now)
    rows = await PsychSession.select(
        PsychSession.id,
        PsychSession.starts_at,
        PsychSession.psychologist_id,
        PsychSession.reminded_24h_at,
        PsychSession.reminded_1h_at,
    ).where(
        PsychSession.deleted.eq(False),
        PsychSession.status == "scheduled",
        PsychSession.starts_at > moment,
        PsychSession.starts_at <= moment + timedelta(hours=24),
    )
    due: list[tuple[UUID, str, str, Any]] = []
    for row in rows:
        starts = _aware(row["starts_at"])
        if starts - moment <= timedelta(hours=1) and row["reminded_1h_at"] is None:
            due.append((row["id"], "1h", str(row["psychologist_id"]), starts))
        elif row["reminded_24h_at"] is None and starts - moment > timedelta(hours=1):
            due.append((row["id"], "24h", str(row["psychologist_id"]), starts))
    by_id = {d[0]: d for d in due}

    async def handle(session_id: UUID, ws: WorkingSet) -> list[int]:
        _, which, psychologist, starts = by_id[session_id]
        column = PsychSession.reminded_1h_at if which == "1h" else PsychSession.reminded_24h_at
        # Claim the reminder first: a second run of this job finds it taken.
        claimed = (
            await PsychSession.update({column: moment})
            .where(PsychSession.id == session_id, column.is_null())
            .returning(PsychSession.id)
        )
        if not claimed:
            return []
        when = "1小时后" if which == "1h" else "明天"
        notice = Notice(
            users=frozenset({psychologist}),
            type="psych_reminder",
            title=f"{when}有一次心理咨询",
            body=f"时间 {local_time(starts.isoformat())}",
            url=f"#/psych/{session_id}",
            subject=f"session/{session_id}/reminder/{which}",
            ttl=3600 if which == "1h" else 12 * 3600,
        )
        return await send(ws, [notice], now_ms=_ms(moment), clock=_clock)

    return await _each(list(by_id), handle)


async def run_all(now: datetime | None = None) -> dict[str, int]:
    """Every scheduled job once (the embedded loop and `doorstep beat` call this each minute)."""
    return {
        "deadlines": await check_deadlines(now),
        "red_warnings": await resend_red_warnings(now),
        "reminders": await send_reminders(now),
    }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
