"""Reading one agreement for its document: scope-checked, with what the page prints beside it
(the dispute's title, the community's and mediator's names, the signature images)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from server import permissions
from server.accounts.principal import Principal
from server.accounts.tables import User
from server.agreements.content import content_sha256
from server.agreements.document import AgreementView, render_agreement
from server.agreements.tables import Agreement
from server.disputes.tables import Dispute
from server.http.errors import ApiError
from server.org.tree import load_tree
from server.replication import attachments
from server.replication.rows import row_to_record


async def readable_agreement(principal: Principal, agreement_id: UUID) -> dict[str, Any]:
    """The agreement's row as a record dict; 404 when absent, 403 outside the reader's scope."""
    rows = (
        await Agreement.select()
        .where(Agreement.id == agreement_id, Agreement.deleted.eq(False))
        .output(load_json=True)
    )
    if not rows:
        raise ApiError(404, "not_found", "没有这份调解协议 (no such agreement)")
    record = row_to_record("agreements", rows[0])
    as_dict = {
        **record.fields,
        "id": record.id,
        "created_by": record.created_by,
        "community_id": str(rows[0]["community_id"]) if rows[0]["community_id"] else None,
    }
    tree = await load_tree()
    if not permissions.can_read(principal, tree, "agreements", as_dict):
        raise ApiError(
            403,
            "forbidden",
            "这份调解协议不在您的工作范围内 (the agreement is outside your scope)",
        )
    return as_dict


async def agreement_document(principal: Principal, agreement_id: UUID) -> bytes:
    agreement = await readable_agreement(principal, agreement_id)
    tree = await load_tree()
    community = tree.get(permissions.as_uuid(agreement.get("community_id")))
    disputes = await Dispute.select(Dispute.title).where(
        Dispute.id == permissions.as_uuid(agreement.get("dispute_id"))
    )
    mediator_name = ""
    if agreement.get("mediator_id"):
        users = await User.select(User.display_name).where(
            User.id == permissions.as_uuid(agreement["mediator_id"])
        )
        mediator_name = str(users[0]["display_name"]) if users else ""
    images: dict[str, bytes] = {}
    for signature in agreement.get("signatures") or []:
        data = await attachments.stored_bytes(str(signature.get("attachment")))
        if data is not None:
            images[str(signature["attachment"])] = data
    view = AgreementView(
        agreement_id=str(agreement_id),
        fields=agreement,
        content_sha256=content_sha256(str(agreement_id), agreement),
        community_name=community.name if community is not None else "",
        dispute_title=str(disputes[0]["title"]) if disputes else "",
        mediator_name=mediator_name,
        images=images,
        printed_at=datetime.now(UTC),
    )
    # fpdf2 is pure Python and CPU-bound: keep the event loop free for other requests
    return await asyncio.to_thread(render_agreement, view)
