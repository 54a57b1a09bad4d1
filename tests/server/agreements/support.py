"""Factories for the agreement tests: a dispute with two parties, signature images drawn like a
phone's canvas (real PNGs, so the PDF can embed them), agreements pushed by a lawyer."""

from __future__ import annotations

import hashlib
import io
import random
import uuid
from typing import Any

from PIL import Image, ImageDraw

from server.org.importer import unit_id
from tests.helpers import Session
from tests.server.replication.support import create_dispute, record_of

PARTIES = [
    {"name": "张三", "id_number_last4": "123X", "role": "申请人"},
    {"name": "李四", "id_number_last4": "5678", "role": "被申请人"},
]
TERMS = "李四于2027年1月31日前向张三支付修缮费人民币3000元。\n李四向张三赔礼道歉。\n双方不再就此事发生争议。"
ROOM_A = unit_id("GM.GUANGMING.C01.JC")


def signature_png(seed: int | None = None) -> tuple[str, bytes]:
    """A signature as the canvas exports it: a transparent PNG with a dark stroke."""
    rng = random.Random(seed if seed is not None else uuid.uuid4().int)
    picture = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    pen = ImageDraw.Draw(picture)
    points = [(rng.randint(10, 290), rng.randint(10, 90)) for _ in range(8)]
    pen.line(points, fill=(20, 20, 20, 255), width=4)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    data = out.getvalue()
    return hashlib.sha256(data).hexdigest(), data


async def upload(session: Session, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    response = await session.client.put(
        f"/api/attachments/{sha}", content=data, headers=session.headers
    )
    assert response.status_code in (200, 201), response.text
    return sha


async def dispute_with_parties(grid_worker: Session, **fields: Any) -> str:
    parties = [{"name": p["name"], "phone": "13800000000", "role": p["role"]} for p in PARTIES]
    return await create_dispute(
        grid_worker,
        parties=parties,
        description="张三家楼上李四家装修导致张三家天花板渗水，双方就修缮费用发生争议。",
        **fields,
    )


async def signatures_for(lawyer: Session, names: list[str]) -> list[dict[str, Any]]:
    out = []
    for name in names:
        _, data = signature_png()
        sha = await upload(lawyer, data)
        out.append({"party_name": name, "attachment": sha, "signed_at": "2026-12-03T02:00:00Z"})
    return out


def draft_fields(dispute_id: str, mediator_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "dispute_id": dispute_id,
        "parties": PARTIES,
        "terms": TERMS,
        "mediator_id": mediator_id,
        **fields,
    }


async def signed_agreement(lawyer: Session, dispute_id: str) -> tuple[str, dict[str, Any]]:
    """An agreement drafted, signed by both parties and marked signed; returns id and record."""
    agreement_id = str(uuid.uuid4())
    signatures = await signatures_for(lawyer, [p["name"] for p in PARTIES])
    result = await lawyer.push_one(
        "agreements",
        agreement_id,
        draft_fields(dispute_id, lawyer.user_id, signatures=signatures),
    )
    assert result["status"] in ("applied", "merged"), result
    record = await record_of(lawyer, "agreements", agreement_id)
    assert record is not None
    result = await lawyer.push_one(
        "agreements", agreement_id, {"status": "signed"}, base_version=record["version"]
    )
    assert result["status"] in ("applied", "merged"), result
    record = await record_of(lawyer, "agreements", agreement_id)
    assert record is not None and record["fields"]["status"] == "signed", record
    return agreement_id, record
