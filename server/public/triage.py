"""The hall's triage of public appeals (群众诉求分拣): accept one as a dispute (assigning its grid
and service type), merge a duplicate into an existing dispute of the same community, or reject
it as spam with a reason the resident reads.

A merged or rejected appeal's own dispute is deleted (a tombstone, as an admin deletes a
duplicate or a record made in error), so it never counts in the figures; the resident's phone
number and photos move to the dispute it was merged into, so the hall can call back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from server.accounts.principal import Principal
from server.db import write_transaction
from server.disputes.tables import Dispute
from server.http.errors import ApiError
from server.org.tree import OrgTree, load_tree
from server.permissions import ADMIN_ROLES, as_uuid, in_scope, scope_root
from server.public import residents
from server.public.schemas import AcceptIn, MergeIn, RejectIn, TriageItem, TriageOut
from server.public.tables import PublicAppeal
from server.replication.reactions import AfterCommit, Reactor
from server.replication.store import WorkingSet
from server.scheduling.runner import clock
from sync.engine import server_write
from sync.model import Actor, Applied, Record

TRIAGE_STATES = ("pending", "accepted", "merged", "rejected")


def _require_staff(p: Principal) -> None:
    if p.role not in ADMIN_ROLES:
        raise ApiError(
            403, "forbidden", "只有诉求服务大厅工作人员可以分拣 (hall staff triage appeals)"
        )


def _stamp(value: Any) -> str:
    moment: datetime = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def listing(
    p: Principal, org_unit_id: UUID | None, triage: str | None, limit: int
) -> list[TriageItem]:
    _require_staff(p)
    tree = await load_tree()
    root = org_unit_id or scope_root(p, tree)
    if root is None or tree.get(root) is None:
        raise ApiError(404, "not_found", "没有这个单位 (no such org unit)")
    if not in_scope(p, tree, root):
        raise ApiError(403, "forbidden", "该单位不在您的管辖范围 (outside your scope)")
    if triage is not None and triage not in TRIAGE_STATES:
        raise ApiError(400, "invalid_request", f"triage is one of {', '.join(TRIAGE_STATES)}")
    communities = [u for u in tree.units if tree.is_within(u, root)]
    query = PublicAppeal.select().where(PublicAppeal.community_id.is_in(communities))
    if triage:
        query = query.where(PublicAppeal.triage == triage)
    appeals = await query.order_by(PublicAppeal.created_at, ascending=False).limit(limit)
    disputes = {
        row["id"]: row
        for row in await Dispute.select(
            Dispute.id,
            Dispute.title,
            Dispute.description,
            Dispute.parties,
            Dispute.photos,
            Dispute.status,
            Dispute.satisfaction,
            Dispute.deleted,
        )
        .where(Dispute.id.is_in([a["original_dispute_id"] for a in appeals] or [UUID(int=0)]))
        .output(load_json=True)
    }
    out = []
    for a in appeals:
        d = disputes.get(a["original_dispute_id"]) or {}
        out.append(
            TriageItem(
                appeal_id=str(a["id"]),
                dispute_id=str(a["dispute_id"]),
                community_id=str(a["community_id"]),
                station_id=str(a["station_id"]) if a["station_id"] else None,
                channel=str(a["channel"]),
                service_type=str(a["service_type"]),
                title=str(d.get("title") or ""),
                description=str(d.get("description") or ""),
                has_phone=bool(d.get("parties")),
                photos=list(d.get("photos") or []),
                received_at=_stamp(a["created_at"]),
                triage=str(a["triage"]),
                status=str(d.get("status") or ""),
                satisfaction=d.get("satisfaction"),
            )
        )
    return out


async def _pending(p: Principal, tree: OrgTree, appeal_id: UUID) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await PublicAppeal.select().where(PublicAppeal.id == appeal_id).first()
    )
    if row is None or not in_scope(p, tree, row["community_id"]):
        raise ApiError(404, "not_found", "没有这条诉求 (no such appeal in your scope)")
    if row["triage"] != "pending":
        raise ApiError(
            409,
            "already_triaged",
            "这条诉求已经分拣过 (this appeal has already been triaged)",
            {"triage": row["triage"]},
        )
    return row


async def _run(
    p: Principal,
    appeal_id: UUID,
    act: Any,
) -> TriageOut:
    """One triage action in one transaction: the dispute writes (reacted to like a push), the
    appeal's row, its timeline step and the resident's push."""
    _require_staff(p)
    tree = await load_tree()
    appeal = await _pending(p, tree, appeal_id)
    now = datetime.now(UTC)
    now_ms = int(now.timestamp() * 1000)
    actor = Actor(str(p.user_id), str(p.device_id))
    async with write_transaction():
        # Claim the appeal: of two staff triaging at once, one wins and the other gets 409.
        claimed = (
            await PublicAppeal.update({PublicAppeal.triage: "claimed"})
            .where(PublicAppeal.id == appeal_id, PublicAppeal.triage == "pending")
            .returning(PublicAppeal.id)
        )
        if not claimed:
            raise ApiError(409, "already_triaged", "这条诉求已经分拣过 (already triaged)")
        ws = WorkingSet(str(p.device_id), str(p.user_id))
        await ws.load_records([("disputes", str(appeal["original_dispute_id"]))])
        original = ws.get("disputes", str(appeal["original_dispute_id"]))
        if original is None:
            raise ApiError(409, "already_triaged", "这条诉求的记录已不存在 (its dispute is gone)")
        applied, triage, dispute_id, what, detail = await act(
            ws, tree, appeal, original, now_ms, actor
        )
        await PublicAppeal.update(
            {
                PublicAppeal.triage: triage,
                PublicAppeal.dispute_id: UUID(dispute_id),
                PublicAppeal.reject_reason: detail if triage == "rejected" else None,
            }
        ).where(PublicAppeal.id == appeal_id)
        after_commit: list[AfterCommit] = await Reactor(ws, tree, now_ms, clock).run(applied)
        await ws.flush()
        deliveries = await residents.record([appeal_id], what, role=p.role, detail=detail)
    for callback in after_commit:
        callback()
    if deliveries:
        from server.notify.services import kick

        kick(deliveries)
    return TriageOut(appeal_id=str(appeal_id), triage=triage, dispute_id=dispute_id)


async def accept(p: Principal, appeal_id: UUID, data: AcceptIn) -> TriageOut:
    async def act(
        ws: WorkingSet,
        tree: OrgTree,
        appeal: dict[str, Any],
        original: Record,
        now_ms: int,
        actor: Actor,
    ) -> tuple[list[Applied], str, str, str, str]:
        grid = tree.get(as_uuid(data.grid_id))
        if (
            grid is None
            or grid.kind != "grid"
            or not tree.is_within(grid.id, appeal["community_id"])
        ):
            raise ApiError(
                422,
                "validation",
                "请选择本社区的网格 (grid_id must name a grid of the appeal's community)",
                {"field": "grid_id"},
            )
        fields: dict[str, Any] = {"grid_id": str(grid.id), "service_type": data.service_type}
        if data.category:
            fields["category"] = data.category
        applied = _write(ws, "disputes", original.id, fields, now_ms, actor)
        return [applied], "accepted", original.id, "accepted", data.service_type

    return await _run(p, appeal_id, act)


async def merge(p: Principal, appeal_id: UUID, data: MergeIn) -> TriageOut:
    async def act(
        ws: WorkingSet,
        tree: OrgTree,
        appeal: dict[str, Any],
        original: Record,
        now_ms: int,
        actor: Actor,
    ) -> tuple[list[Applied], str, str, str, None]:
        target_id = as_uuid(data.dispute_id)
        loaded = await ws.load_records([("disputes", str(target_id))]) if target_id else []
        target = loaded[0] if loaded else None
        if (
            target is None
            or target.deleted
            or target.id == original.id
            or str(target.fields.get("community_id")) != str(appeal["community_id"])
        ):
            raise ApiError(
                422,
                "validation",
                "请选择本社区的另一宗纠纷 (dispute_id must name another dispute of this community)",
                {"field": "dispute_id"},
            )
        moved: dict[str, Any] = {}
        for name in ("parties", "photos"):
            extra = [
                v
                for v in original.fields.get(name) or []
                if v not in (target.fields.get(name) or [])
            ]
            if extra:
                moved[name] = list(target.fields.get(name) or []) + extra
        applied = []
        if moved:
            applied.append(_write(ws, "disputes", target.id, moved, now_ms, actor))
        applied.append(_write(ws, "disputes", original.id, {}, now_ms, actor, deleted=True))
        return applied, "merged", target.id, "merged", None

    return await _run(p, appeal_id, act)


async def reject(p: Principal, appeal_id: UUID, data: RejectIn) -> TriageOut:
    async def act(
        ws: WorkingSet,
        tree: OrgTree,
        appeal: dict[str, Any],
        original: Record,
        now_ms: int,
        actor: Actor,
    ) -> tuple[list[Applied], str, str, str, str]:
        applied = _write(ws, "disputes", original.id, {}, now_ms, actor, deleted=True)
        return [applied], "rejected", original.id, "rejected", data.reason.strip()

    return await _run(p, appeal_id, act)


def _write(
    ws: WorkingSet,
    collection: str,
    record_id: str,
    fields: dict[str, Any],
    now_ms: int,
    actor: Actor,
    *,
    deleted: bool | None = None,
) -> Applied:
    return server_write(
        ws, collection, record_id, fields, now_ms=now_ms, clock=clock, actor=actor, deleted=deleted
    )
