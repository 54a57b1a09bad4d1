"""What the incentive endpoints do beyond the ledger: check the volunteer and the source
record an award cites, and shape rows for the wire."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from server import permissions, specs
from server.accounts.principal import Principal
from server.http.errors import ApiError
from server.incentives.access import may_work_in
from server.incentives.audit import iso
from server.incentives.ledger import AwardRequest
from server.incentives.schemas import AwardIn, AwardOut, BatchOut
from server.org.tree import OrgTree
from server.volunteers.directory import volunteer


def _s(value: Any) -> str | None:
    return str(value) if value is not None else None


async def source_record(collection: str, record_id: UUID) -> dict[str, Any] | None:
    """The cited record as the permission rules see it (ids as strings), None when unknown."""
    spec = specs.find(collection)
    if spec is None:
        return None
    table = spec.table
    rows = await table.select().where(table._meta.primary_key == record_id)
    if not rows or rows[0].get("deleted"):
        return None
    return {k: (str(v) if isinstance(v, UUID) else v) for k, v in rows[0].items()}


async def award_request(
    p: Principal, tree: OrgTree, data: AwardIn, key: str | None
) -> AwardRequest:
    """The award as the ledger takes it, once the caller, volunteer and source check out."""
    person = await volunteer(data.volunteer_id)
    if person is None:
        raise ApiError(
            422,
            "validation",
            "volunteer_id 必须是在册志愿者 (volunteer_id must name an active volunteer)",
            {"field": "volunteer_id"},
        )
    community = permissions.as_uuid(person["org_unit_id"])
    assert community is not None
    may_work_in(p, tree, community)
    source = await source_record(data.source_collection, data.source_id)
    if source is None or not permissions.can_read(p, tree, data.source_collection, source):
        raise ApiError(
            422,
            "validation",
            "来源记录不存在或不在您的范围 (the source record does not exist or is outside your scope)",
            {"field": "source_id"},
        )
    if data.source_collection == "reports" and source.get("created_by") != str(data.volunteer_id):
        raise ApiError(
            422,
            "validation",
            "这条随手拍不是该志愿者提交的 (that report is not this volunteer's)",
            {"field": "source_id"},
        )
    return AwardRequest(
        volunteer_id=data.volunteer_id,
        community_id=community,
        amount_fen=data.amount_fen,
        reason=data.reason.strip() or data.reason,
        source_collection=data.source_collection,
        source_id=data.source_id,
        approved_by=p.user_id,
        idempotency_key=key,
    )


def award_out(row: dict[str, Any]) -> AwardOut:
    return AwardOut(
        id=str(row["id"]),
        volunteer_id=str(row["volunteer_id"]),
        community_id=str(row["community_id"]),
        amount_fen=int(row["amount_fen"]),
        reason=row["reason"],
        source_collection=row["source_collection"],
        source_id=str(row["source_id"]),
        approved_by=str(row["approved_by"]),
        status=row["status"],
        batch_id=_s(row["batch_id"]),
        fund_id=str(row["fund_id"]),
        created_at=iso(row["created_at"]),
    )


def batch_out(row: dict[str, Any]) -> BatchOut:
    return BatchOut(
        id=str(row["id"]),
        org_unit_id=str(row["org_unit_id"]),
        status=row["status"],
        total_fen=int(row["total_fen"]),
        award_count=int(row["award_count"]),
        proposed_by=str(row["proposed_by"]),
        proposed_at=iso(row["proposed_at"]),
        approved_by=_s(row["approved_by"]),
        approved_at=iso(row["approved_at"]),
        exported_at=iso(row["exported_at"]),
        paid_by=_s(row["paid_by"]),
        paid_at=iso(row["paid_at"]),
    )
