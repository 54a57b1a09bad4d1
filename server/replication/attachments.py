"""Photos addressed by SHA-256: stored once, readable by whoever can see a record that names
them (and by their uploader, whose record may not have synced yet)."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server import permissions, specs
from server.accounts.principal import Principal
from server.http.errors import ApiError
from server.org.tree import load_tree
from server.records.tables import Attachment, AttachmentHolder
from server.replication.rows import row_to_record
from server.settings import get_settings

MAX_BYTES = 5 * 1024 * 1024
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def sniff(data: bytes) -> str | None:
    """The image type from its first bytes; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _path(sha256: str) -> Path:
    return get_settings().attachments_dir / sha256[:2] / sha256


def _check_name(sha256: str) -> None:
    if not HEX64.match(sha256):
        raise ApiError(
            400,
            "invalid_request",
            "an attachment is named by its lowercase sha256 hex",
            {"field": "sha256"},
        )


async def store(principal: Principal, sha256: str, data: bytes) -> tuple[bool, dict[str, Any]]:
    _check_name(sha256)
    if not data:
        raise ApiError(400, "invalid_request", "the body is empty")
    if len(data) > MAX_BYTES:
        raise ApiError(413, "payload_too_large", "an attachment is at most 5 MiB")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ApiError(422, "hash_mismatch", "the body's sha256 does not match the address")
    content_type = sniff(data)
    if content_type is None:
        raise ApiError(415, "unsupported_media_type", "only JPEG, PNG and WebP images are accepted")
    meta = {"sha256": sha256, "content_type": content_type, "size": len(data)}
    now = datetime.now(UTC)
    created = not await Attachment.exists().where(Attachment.sha256 == sha256)
    if created:
        path = _path(sha256)
        await asyncio.to_thread(_write_atomically, path, data)
        await Attachment.insert(
            Attachment(
                sha256=sha256,
                content_type=content_type,
                size=len(data),
                created_by=principal.user_id,
                created_at=now,
            )
        ).on_conflict(action="DO NOTHING")
    # Whoever sent the bytes holds them, first or not: the same photo from two phones (a
    # forwarded picture, one icon) must be nameable by both.
    await AttachmentHolder.insert(
        AttachmentHolder(
            key=f"{sha256}/{principal.user_id}",
            sha256=sha256,
            user_id=principal.user_id,
            created_at=now,
        )
    ).on_conflict(action="DO NOTHING")
    return created, meta


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)


async def fetch(principal: Principal, sha256: str) -> tuple[str, bytes]:
    _check_name(sha256)
    rows = await Attachment.select().where(Attachment.sha256 == sha256)
    if not rows or not await _may_read(principal, sha256, rows[0]["created_by"]):
        raise ApiError(404, "not_found", "no such attachment")
    data = await asyncio.to_thread(_path(sha256).read_bytes)
    return str(rows[0]["content_type"]), data


async def stored_bytes(sha256: str) -> bytes | None:
    """The bytes of a stored attachment, for a server-side renderer that has already checked
    the reader may see a record naming it (an agreement's signatures); None when not uploaded."""
    if not HEX64.match(sha256):
        return None
    path = _path(sha256)
    try:
        return await asyncio.to_thread(path.read_bytes)
    except FileNotFoundError:
        return None


async def _may_read(principal: Principal, sha256: str, uploader: Any) -> bool:
    if uploader == principal.user_id or await AttachmentHolder.exists().where(
        AttachmentHolder.key == f"{sha256}/{principal.user_id}"
    ):
        return True
    tree = await load_tree()
    pattern = f"%{sha256}%"
    for spec, columns in _photo_columns():
        table = spec.table
        where = " OR ".join(f"CAST({c} AS TEXT) LIKE {{}}" for c in columns)
        hits = await table.raw(
            f"SELECT id FROM {table._meta.tablename} WHERE deleted = {{}} AND ({where})",
            False,
            *([pattern] * len(columns)),
        )
        if not hits:
            continue
        rows = (
            await table.select()
            .where(table._meta.primary_key.is_in([h["id"] for h in hits]))
            .output(load_json=True)
        )
        for row in rows:
            record = row_to_record(spec.name, row)
            as_dict = {
                **record.fields,
                "id": record.id,
                "created_by": record.created_by,
                **{k: str(row[k]) for k in spec.derived_columns if row.get(k)},
            }
            if permissions.can_read(principal, tree, spec.name, as_dict):
                return True
    return False


def _photo_columns() -> list[tuple[specs.CollectionSpec, list[str]]]:
    """The collections whose records name attachments, and the fields that do."""
    return [(spec, cols) for spec in specs.all_specs() if (cols := attachment_fields(spec.name))]


# -- naming a photo in a record -------------------------------------------------------------------
#: the working set's memo key: hashes this push's writer may not newly name
UNNAMEABLE = "attachments.unnameable"


#: list item kinds that carry an attachment hash under the key `attachment` (a signature)
ITEMS_WITH_ATTACHMENT = frozenset({"signature"})


def attachment_fields(collection: str) -> list[str]:
    """The fields of a collection that name attachments: lists of hashes (photos), lists of
    objects holding one (signatures), and strings holding one (a ruling's scan)."""
    spec = specs.find(collection)
    if spec is None:
        return []
    return [
        n
        for n, f in spec.schema.fields.items()
        if (f.type == "string" and f.items == "attachment")
        or (f.type == "list" and (f.items == "attachment" or f.items in ITEMS_WITH_ATTACHMENT))
    ]


def hashes_in(value: Any) -> set[str]:
    """The attachment hashes one field's value names (a hash, a list of hashes, or a list of
    objects each naming one under `attachment`)."""
    if isinstance(value, str):
        return {value}
    out: set[str] = set()
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                out.add(item)
            elif isinstance(item, dict) and isinstance(item.get("attachment"), str):
                out.add(item["attachment"])
    return out


def named_hashes(collection: str, fields: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for name in attachment_fields(collection):
        out |= hashes_in(fields.get(name))
    return out


async def find_unnameable(principal: Principal, hashes: set[str]) -> set[str]:
    """The stored photos among `hashes` this user may not name in a record.

    Reading a photo is granted by the records that name it, so naming must be earned at write
    time, or naming a hash (seen in a shared link, a log, an old export) would be a way to read
    it.  A user may name a photo they uploaded or one already on a record they can read
    (forwarding it into their own record shares nothing new).  A hash not stored yet is
    allowed: an offline device may push its record before the photo's upload finishes, and
    whoever uploads it later is the one who holds the bytes.
    """
    wanted = {h for h in hashes if HEX64.match(h)}
    if not wanted:
        return set()
    rows = await Attachment.select(Attachment.sha256, Attachment.created_by).where(
        Attachment.sha256.is_in(sorted(wanted))
    )
    return {
        str(row["sha256"])
        for row in rows
        if not await _may_read(principal, str(row["sha256"]), row["created_by"])
    }
