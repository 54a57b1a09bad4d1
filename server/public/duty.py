"""Leaders' duty roster (领导接访): district leaders monthly and street leaders weekly receive
residents at community halls as mediators.  Admins publish a shift (who, where, when, how many
residents); the public page shows the upcoming shifts; a resident asks for a slot with a topic
and a phone number; the leader is told at once and reminded before the shift (inbox + Web Push,
with no personal data: the phone numbers are read in the app, by the leader and the hall).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from server.accounts.principal import Principal
from server.accounts.tables import User
from server.db import write_transaction
from server.http.errors import ApiError
from server.inbox.notices import Notice, local_time, send
from server.org.tree import OrgTree, load_tree
from server.permissions import ADMIN_ROLES, ROLE_RANK, as_uuid, in_scope
from server.public.tables import DutyRequest, DutyShift
from server.replication.store import WorkingSet
from server.scheduling.runner import SERVER, clock, each, ms, now_or
from server.specs import Job
from sync.times import parse_rfc3339

#: leaders are told this long before their shift
REMIND_BEFORE = timedelta(hours=24)
#: a shift is at most a working day; published at most a quarter ahead
MAX_SHIFT = timedelta(hours=12)
MAX_AHEAD = timedelta(days=100)


def _iso(value: Any) -> str:
    moment: datetime = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value: str, field: str) -> datetime:
    moment = parse_rfc3339(value)
    if moment is None:
        raise ApiError(
            400,
            "invalid_request",
            f"时间格式错误 ({field} must be an RFC 3339 UTC time)",
            {"field": field},
        )
    return moment


def _place_name(tree: OrgTree, unit_id: UUID) -> str:
    unit = tree.get(unit_id)
    return unit.name if unit else ""


async def publish(p: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """An admin publishes a shift at a hall of their scope for a leader at or above the hall."""
    if p.role not in ADMIN_ROLES:
        raise ApiError(403, "forbidden", "只有管理员可以发布接访安排 (admins publish the roster)")
    tree = await load_tree()
    hall = tree.get(as_uuid(data.get("org_unit_id")))
    if hall is None or hall.kind not in ("community", "street"):
        raise ApiError(
            422,
            "validation",
            "接访地点须为社区或街道大厅 (org_unit_id must be a hall)",
            {"field": "org_unit_id"},
        )
    if not in_scope(p, tree, hall.id):
        raise ApiError(403, "forbidden", "该地点不在您的管辖范围 (outside your scope)")
    leader_id = as_uuid(data.get("leader_id"))
    leader = (
        await User.select(User.id, User.role, User.org_unit_id)
        .where(User.id == leader_id, User.active.eq(True), User.deleted.eq(False))
        .first()
        if leader_id is not None
        else None
    )
    if (
        leader is None
        or not tree.is_within(hall.id, as_uuid(leader["org_unit_id"]))
        or (ROLE_RANK.get(leader["role"], 0) < ROLE_RANK["street_admin"])
    ):
        raise ApiError(
            422,
            "validation",
            "接访领导须为该地点所在街道或区的领导 (leader_id must be a street or district leader above the hall)",
            {"field": "leader_id"},
        )
    starts, ends = (
        _time(str(data.get("starts_at") or ""), "starts_at"),
        _time(str(data.get("ends_at") or ""), "ends_at"),
    )
    now = datetime.now(UTC)
    if not (now < starts < ends <= starts + MAX_SHIFT) or starts > now + MAX_AHEAD:
        raise ApiError(
            422,
            "validation",
            "时间无效：须在未来 100 天内，且不超过 12 小时 (a future shift of at most 12 hours)",
            {"field": "ends_at"},
        )
    title = str(data.get("leader_title") or "").strip()
    capacity = data.get("capacity", 10)
    if not 1 <= len(title) <= 100 or not isinstance(capacity, int) or not 1 <= capacity <= 100:
        raise ApiError(
            422,
            "validation",
            "请填写领导职务，接访人数 1-100 (leader_title and capacity 1-100)",
            {"field": "leader_title"},
        )
    shift_id = uuid.uuid4()
    async with write_transaction():
        await DutyShift.insert(
            DutyShift(
                id=shift_id,
                org_unit_id=hall.id,
                leader_id=leader["id"],
                leader_title=title,
                starts_at=starts,
                ends_at=ends,
                capacity=capacity,
                created_by=p.user_id,
                created_at=now,
            )
        )
        deliveries = await _tell_leader(
            str(leader["id"]),
            f"duty/{shift_id}/published",
            "领导接访安排",
            f"您将于{local_time(_iso(starts))}在{hall.name}接待群众来访",
        )
    _kick(deliveries)
    return await _one(shift_id, tree, staff=True)


async def _one(shift_id: UUID, tree: OrgTree, *, staff: bool) -> dict[str, Any]:
    rows = await DutyShift.select().where(DutyShift.id == shift_id)
    return (await _describe(rows, tree, staff=staff))[0]


async def _describe(
    rows: list[dict[str, Any]], tree: OrgTree, *, staff: bool
) -> list[dict[str, Any]]:
    leaders = {
        r["id"]: r
        for r in await User.select(User.id, User.display_name).where(
            User.id.is_in([r["leader_id"] for r in rows] or [uuid.UUID(int=0)])
        )
    }
    requests: dict[UUID, list[dict[str, Any]]] = {}
    for r in (
        await DutyRequest.select()
        .where(DutyRequest.shift_id.is_in([r["id"] for r in rows] or [uuid.UUID(int=0)]))
        .order_by(DutyRequest.created_at)
    ):
        requests.setdefault(r["shift_id"], []).append(r)
    out = []
    for r in rows:
        hall = tree.get(r["org_unit_id"])
        taken = requests.get(r["id"], [])
        item: dict[str, Any] = {
            "id": str(r["id"]),
            "org_unit_id": str(r["org_unit_id"]),
            "place": hall.name if hall else "",
            "leader_name": (leaders.get(r["leader_id"]) or {}).get("display_name", ""),
            "leader_title": r["leader_title"],
            "starts_at": _iso(r["starts_at"]),
            "ends_at": _iso(r["ends_at"]),
            "capacity": r["capacity"],
            "slots_left": max(0, r["capacity"] - len(taken)),
        }
        if staff:
            item["leader_id"] = str(r["leader_id"])
            item["requests"] = [
                {
                    "id": str(q["id"]),
                    "topic": q["topic"],
                    "contact_phone": q["contact_phone"],
                    "created_at": _iso(q["created_at"]),
                }
                for q in taken
            ]
        out.append(item)
    return out


async def upcoming(
    org_unit_id: UUID | None, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The public roster: shifts not yet over at halls of the unit's subtree, soonest first."""
    tree = await load_tree()
    root = org_unit_id or next((u.id for u in tree.units.values() if u.kind == "district"), None)
    if root is None or tree.get(root) is None:
        raise ApiError(404, "not_found", "没有这个单位 (no such org unit)")
    halls = [u for u in tree.units if tree.is_within(u, root)]
    rows = (
        await DutyShift.select()
        .where(DutyShift.org_unit_id.is_in(halls), DutyShift.ends_at > now_or(now))
        .order_by(DutyShift.starts_at)
        .limit(200)
    )
    return await _describe(rows, tree, staff=False)


async def listing(
    p: Principal, org_unit_id: UUID | None, *, staff: bool = True
) -> list[dict[str, Any]]:
    """The staff view: the roster with the residents' requests, for admins in scope and for the
    leaders themselves (their own shifts)."""
    tree = await load_tree()
    rows = (
        await DutyShift.select()
        .where(DutyShift.ends_at > datetime.now(UTC) - timedelta(days=30))
        .order_by(DutyShift.starts_at)
    )
    if org_unit_id is not None:
        rows = [r for r in rows if tree.is_within(r["org_unit_id"], org_unit_id)]
    mine = [
        r
        for r in rows
        if r["leader_id"] == p.user_id
        or (p.role in ADMIN_ROLES and in_scope(p, tree, r["org_unit_id"]))
    ]
    return await _describe(mine, tree, staff=staff)


async def ask(shift_id: UUID, topic: str, phone: str) -> dict[str, Any]:
    """A resident asks for a slot: refused when the shift is over or full (409)."""
    tree = await load_tree()
    now = datetime.now(UTC)
    async with write_transaction():
        shift = await DutyShift.select().where(DutyShift.id == shift_id).first()
        if shift is None:
            raise ApiError(404, "not_found", "没有这个接访安排 (no such shift)")
        if shift["ends_at"] <= now:
            raise ApiError(409, "shift_over", "该接访已结束 (this shift is over)")
        taken = await DutyRequest.count().where(DutyRequest.shift_id == shift_id)
        if taken >= shift["capacity"]:
            raise ApiError(409, "shift_full", "该时段已约满 (this shift is fully booked)")
        request_id = uuid.uuid4()
        await DutyRequest.insert(
            DutyRequest(
                id=request_id, shift_id=shift_id, topic=topic, contact_phone=phone, created_at=now
            )
        )
        deliveries = await _tell_leader(
            str(shift["leader_id"]),
            f"duty/{shift_id}/request/{request_id}",
            "群众预约接访",
            f"有群众预约{local_time(_iso(shift['starts_at']))}在{_place_name(tree, shift['org_unit_id'])}的接访",
        )
    _kick(deliveries)
    return {
        "request_id": str(request_id),
        "shift_id": str(shift_id),
        "starts_at": _iso(shift["starts_at"]),
    }


async def _tell_leader(leader: str, subject: str, title: str, body: str) -> list[int]:
    ws = WorkingSet(SERVER, SERVER)
    now_ms = ms(datetime.now(UTC))
    deliveries = await send(
        ws,
        [
            Notice(
                users=frozenset({leader}),
                type="duty",
                title=title,
                body=body,
                url="#/duty",
                subject=subject,
            )
        ],
        now_ms=now_ms,
        clock=clock,
    )
    await ws.flush()
    return deliveries


def _kick(deliveries: list[int]) -> None:
    if deliveries:
        from server.notify.services import kick

        kick(deliveries)


async def remind_leaders(now: datetime | None = None) -> int:
    """Every minute: a leader whose shift starts within REMIND_BEFORE is reminded once."""
    moment = now_or(now)
    rows = await DutyShift.select(DutyShift.id).where(
        DutyShift.reminded_at.is_null(),
        DutyShift.starts_at > moment,
        DutyShift.starts_at <= moment + REMIND_BEFORE,
    )
    tree = await load_tree()

    async def handle(shift_id: UUID, ws: WorkingSet) -> list[Any]:
        claimed = (
            await DutyShift.update({DutyShift.reminded_at: moment})
            .where(DutyShift.id == shift_id, DutyShift.reminded_at.is_null())
            .returning(DutyShift.leader_id, DutyShift.starts_at, DutyShift.org_unit_id)
        )
        if not claimed:
            return []
        shift = claimed[0]
        booked = await DutyRequest.count().where(DutyRequest.shift_id == shift_id)
        deliveries = await send(
            ws,
            [
                Notice(
                    users=frozenset({str(shift["leader_id"])}),
                    type="duty",
                    title="领导接访提醒",
                    body=(
                        f"{local_time(_iso(shift['starts_at']))}在{_place_name(tree, shift['org_unit_id'])}接访，"
                        f"已有{booked}位群众预约"
                    ),
                    url="#/duty",
                    subject=f"duty/{shift_id}/reminder",
                )
            ],
            now_ms=ms(moment),
            clock=clock,
        )
        return [lambda: _kick(deliveries)]

    return await each([r["id"] for r in rows], handle)


DUTY_JOBS = (Job("duty.remind_leaders", remind_leaders),)
