"""Rules that react to applied writes, inside the same transaction as the write.

A dispute raised to orange or red, or a psych session flagged high or critical, raises a graded
warning; every warning (raised by a rule or by an admin's hand) is routed to the people its
level reaches; dispatch orders and psych bookings notify the other side; a conflict tells the
people whose edits clashed.  All of it is written on the push's working set, so it commits or
rolls back with the change that caused it, and pushes are queued only after commit.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from server.events.notices import Notice, local_time, seconds_until, send
from server.events.recipients import LEVELS, People, load_people
from server.notify.services import kick
from server.org.tree import OrgTree
from server.permissions import as_uuid
from server.replication.store import WorkingSet
from sync.engine import server_write
from sync.hlc import ServerClock
from sync.model import Applied, Record
from sync.schema import LEADER_LEVELS

AfterCommit = Callable[[], Any]
WARNING_NAMESPACE = uuid.UUID("5d2c1b0a-9e8f-4a7b-8c6d-1e2f3a4b5c6d")
DISPUTE_WARNING_LEVELS = ("orange", "red")
PSYCH_WARNING_LEVELS = {"high": "orange", "critical": "red"}
LEVEL_NAMES = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}
ORDER_STATUS_NAMES = {
    "acknowledged": "已签收",
    "arrived": "已到场",
    "resolved": "已办结",
    "verified": "已核验",
    "reopened": "被退回重办",
}


class Reactor:
    """Collects what the applied writes mean, then writes warnings and notices."""

    def __init__(self, ws: WorkingSet, tree: OrgTree, now_ms: int, clock: ServerClock) -> None:
        self.ws = ws
        self.tree = tree
        self.now_ms = now_ms
        self.clock = clock
        self.notices: list[Notice] = []
        self._people: People | None = None

    async def people(self) -> People:
        if self._people is None:
            self._people = await load_people(self.tree)
        return self._people

    async def run(self, applied: list[Applied]) -> list[int]:
        queue = list(applied)
        while queue:
            item = queue.pop(0)
            handler = getattr(self, f"on_{item.collection}", None)
            if handler is not None:
                queue += await handler(item)
        if not self.notices:
            return []
        return await send(self.ws, self.notices, now_ms=self.now_ms, clock=self.clock)

    # -- disputes and psych sessions raise warnings -----------------------------------------
    async def on_disputes(self, item: Applied) -> list[Applied]:
        level = _raised_to(item, "risk_level", DISPUTE_WARNING_LEVELS, LEVELS)
        if level is None:
            return []
        record = item.after
        return self.raise_warning(
            level=level,
            source="dispute",
            subject=record,
            org_unit_id=record.fields.get("community_id"),
            message=f"纠纷风险等级升为{LEVEL_NAMES[level]}：{record.fields.get('title') or ''}",
        )

    async def on_psych_sessions(self, item: Applied) -> list[Applied]:
        raised: list[Applied] = []
        risk = _raised_to(item, "risk_level", tuple(PSYCH_WARNING_LEVELS), _PSYCH_ORDER)
        record = item.after
        if risk is not None:
            # The warning says a session needs attention, never what was said in it.
            raised = self.raise_warning(
                level=PSYCH_WARNING_LEVELS[risk],
                source="psych",
                subject=record,
                org_unit_id=record.fields.get("room_id") or self.ws.scope_of(record),
                message="有一次心理咨询需要关注（风险提示，不含咨询内容）",
            )
        await self._psych_booking_notice(item)
        return raised

    def raise_warning(
        self, *, level: str, source: str, subject: Record, org_unit_id: Any, message: str
    ) -> list[Applied]:
        warning_id = str(
            uuid.uuid5(WARNING_NAMESPACE, f"{subject.collection}/{subject.id}/{subject.version}")
        )
        self.ws.expect_new("warnings", warning_id)
        applied = server_write(
            self.ws,
            "warnings",
            warning_id,
            {
                "level": level,
                "source": source,
                "subject_collection": subject.collection,
                "subject_id": subject.id,
                "org_unit_id": str(org_unit_id) if org_unit_id else None,
                "message": message,
                "acknowledged_by": [],
            },
            now_ms=self.now_ms,
            clock=self.clock,
        )
        return [applied]

    # -- every new warning is routed by its level -------------------------------------------
    async def on_warnings(self, item: Applied) -> list[Applied]:
        if not item.created:
            return []
        fields = item.after.fields
        level = str(fields.get("level") or "blue")
        assignee = None
        if fields.get("subject_collection") == "disputes":
            dispute = self.ws.records.get(("disputes", str(fields.get("subject_id"))))
            assignee = dispute.fields.get("assignee_id") if dispute else None
        people = await self.people()
        users = people.for_warning(level, as_uuid(fields.get("org_unit_id")), assignee)
        self.notices.append(
            Notice(
                users=frozenset(users),
                type="warning",
                title=f"{LEVEL_NAMES.get(level, level)}预警",
                body=_warning_body(fields),
                url=f"#/inbox/warnings/{item.record_id}",
                subject=f"warning/{item.record_id}",
                urgency="high" if level == "red" else "normal",
                ttl=12 * 3600,
            )
        )
        return []

    # -- conflicts tell the people whose edits clashed --------------------------------------
    async def on_conflicts(self, item: Applied) -> list[Applied]:
        if not item.created:
            return []
        fields = item.after.fields
        users = {str(u) for u in (fields.get("theirs_by"), fields.get("yours_by")) if u}
        self.notices.append(
            Notice(
                users=frozenset(users),
                type="conflict",
                title="修改冲突待处理",
                body="同一记录被同时修改，请选择保留的内容",
                url=f"#/conflicts/{item.record_id}",
                subject=f"conflict/{item.record_id}",
            )
        )
        return []

    # -- dispatch orders: the community orders, the department executes ----------------------
    async def on_dispatch_orders(self, item: Applied) -> list[Applied]:
        order = item.after
        fields = order.fields
        people = await self.people()
        department = people.with_role("department_officer", as_uuid(fields.get("department_id")))
        community = people.with_role("community_admin", as_uuid(fields.get("community_id")))
        url = f"#/orders/{order.id}"
        if item.created:
            self.notices.append(
                Notice(
                    users=frozenset(department),
                    type="dispatch_order",
                    title="新派单：请按时到场",
                    body=f"到场时限 {local_time(fields.get('arrive_by'))}，"
                    f"化解时限 {local_time(fields.get('resolve_by'))}",
                    url=url,
                    subject=f"order/{order.id}/issued",
                    urgency="high",
                    ttl=seconds_until(fields.get("arrive_by"), self.now_ms),
                    topic=f"order/{order.id}",
                )
            )
            return []
        if "status" in item.changes:
            status = str(fields.get("status"))
            to_department = status in ("verified", "reopened")
            self.notices.append(
                Notice(
                    users=frozenset(department if to_department else community),
                    type="dispatch_order",
                    title=f"派单{ORDER_STATUS_NAMES.get(status, status)}",
                    body="请查看派单详情",
                    url=url,
                    subject=f"order/{order.id}/v{order.version}",
                    urgency="high" if status == "reopened" else "normal",
                    ttl=seconds_until(fields.get("resolve_by"), self.now_ms),
                    topic=f"order/{order.id}",
                )
            )
        if "arrival" in item.changes and _leader_below_required(fields):
            self.notices.append(
                Notice(
                    users=frozenset(community),
                    type="dispatch_order",
                    title="到场领导级别低于要求",
                    body="到场人员级别低于派单要求，已记录",
                    url=url,
                    subject=f"order/{order.id}/leader/v{order.version}",
                    urgency="high",
                )
            )
        return []

    async def _psych_booking_notice(self, item: Applied) -> None:
        fields = item.after.fields
        moved = {"starts_at", "ends_at", "room_id"} & set(item.changes)
        status = fields.get("status")
        if not (item.created or moved or "status" in item.changes):
            return
        actor = item.actor.user_id if item.actor else None
        users = {str(u) for u in (fields.get("psychologist_id"), item.after.created_by) if u}
        users.discard(str(actor))
        if not users:
            return
        what = (
            "新的咨询预约"
            if item.created
            else ("咨询已取消" if status == "cancelled" else "咨询预约有变动")
        )
        self.notices.append(
            Notice(
                users=frozenset(users),
                type="psych_session",
                title=what,
                body=f"时间 {local_time(fields.get('starts_at'))}",
                url=f"#/psych/{item.record_id}",
                subject=f"session/{item.record_id}/v{item.after.version}",
            )
        )


_PSYCH_ORDER = ("none", "low", "medium", "high", "critical")


def _raised_to(
    item: Applied, name: str, alarming: tuple[str, ...], order: tuple[str, ...]
) -> str | None:
    """The new value of `name` when this write raised it into an alarming level."""
    if name not in item.changes:
        return None
    old, new = item.changes[name]
    if new not in alarming:
        return None
    old_rank = order.index(old) if old in order else -1
    return str(new) if order.index(new) > old_rank else None


def _leader_below_required(fields: dict[str, Any]) -> bool:
    arrival = fields.get("arrival") or {}
    came, needed = arrival.get("leader_level"), fields.get("required_leader_level")
    if came not in LEADER_LEVELS.split() or needed not in LEADER_LEVELS.split():
        return False
    levels = LEADER_LEVELS.split()
    return levels.index(came) < levels.index(needed)


def _warning_body(fields: dict[str, Any]) -> str:
    source = fields.get("source")
    return {
        "dispute": "一宗矛盾纠纷风险升级，请及时处置",
        "psych": "有一次心理咨询需要关注",
        "dispatch_overdue": "有派单超时未办结，请督办",
    }.get(str(source), "请查看预警详情")


async def react(
    ws: WorkingSet, applied: list[Applied], tree: OrgTree, *, now_ms: int, clock: ServerClock
) -> list[AfterCommit]:
    """Run the rules on a push's writes; returns what to do after commit."""
    if not applied:
        return []
    deliveries = await Reactor(ws, tree, now_ms, clock).run(applied)
    return [after_commit_kick(deliveries)] if deliveries else []


def after_commit_kick(deliveries: list[int]) -> AfterCommit:
    """Queue the pushes off the event loop: publishing to a slow broker must not stall it."""

    def start() -> Any:
        return asyncio.get_running_loop().run_in_executor(None, kick, deliveries)

    return start
