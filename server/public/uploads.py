"""Photos sent with a public appeal: images only, at most 2 MiB, addressed by their SHA-256
(checked), stored once beside the staff's photos with no uploader (so staff uploads can never
be named by a public appeal: server/public/appeals.py)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from typing import Any

from server.http.errors import ApiError
from server.records.tables import Attachment
from server.replication import attachments

MAX_BYTES = 2 * 1024 * 1024


async def store(sha256: str, data: bytes) -> tuple[bool, dict[str, Any]]:
    if not attachments.HEX64.match(sha256):
        raise ApiError(
            400,
            "invalid_request",
            "照片地址无效 (an attachment is named by its lowercase sha256 hex)",
            {"field": "sha256"},
        )
    if not data:
        raise ApiError(400, "invalid_request", "照片是空的 (the body is empty)")
    if len(data) > MAX_BYTES:
        raise ApiError(413, "payload_too_large", "照片不能超过 2 MB (a photo is at most 2 MiB)")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ApiError(
            422, "hash_mismatch", "照片内容与地址不符 (the body's sha256 does not match)"
        )
    content_type = attachments.sniff(data)
    if content_type is None:
        raise ApiError(
            415,
            "unsupported_media_type",
            "只能上传 JPEG、PNG 或 WebP 图片 (only JPEG, PNG and WebP images)",
        )
    meta = {"sha256": sha256, "content_type": content_type, "size": len(data)}
    if await Attachment.exists().where(Attachment.sha256 == sha256):
        return False, meta
    path = attachments._path(sha256)
    await asyncio.to_thread(attachments._write_atomically, path, data)
    await Attachment.insert(
        Attachment(
            sha256=sha256,
            content_type=content_type,
            size=len(data),
            created_by=None,
            created_at=datetime.now(UTC),
        )
    ).on_conflict(action="DO NOTHING")
    return True, meta
