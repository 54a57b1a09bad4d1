"""PUT/GET /api/attachments/<sha256> (SYNC_PROTOCOL.md "Attachments")."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest

from tests.helpers import Session
from tests.server.replication.support import (
    as_user,
    assert_error,
    assert_ok,
    create,
    create_dispute,
    image,
)

pytestmark = pytest.mark.usefixtures("database")


async def put(session: Session, sha256: str, data: bytes, content_type: str = "image/png") -> Any:
    return await session.client.put(
        f"/api/attachments/{sha256}",
        content=data,
        headers={**session.headers, "Content-Type": content_type},
    )


@pytest.mark.parametrize("kind", ["png", "jpeg", "webp"])
async def test_upload_once_then_again(client: Any, kind: str) -> None:
    gw = await as_user(client, "gw.a1")
    sha, data = image(kind)
    first = await put(gw, sha, data)
    assert first.status_code == 201, first.text
    assert first.json() == {"sha256": sha, "content_type": f"image/{kind}", "size": len(data)}
    again = await put(gw, sha, data)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    # another user uploading the same photo is the same attachment
    other = await put(await as_user(client, "gw.b1"), sha, data)
    assert other.status_code == 200


async def test_a_wrong_hash_is_422_and_stores_nothing(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    sha, data = image()
    wrong = hashlib.sha256(b"something else").hexdigest()
    assert_error(await put(gw, wrong, data), 422)
    assert_error(await gw.get(f"/api/attachments/{wrong}"), 404, "not_found")
    assert (await put(gw, sha, data)).status_code == 201


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7 not an image", b"GIF89a" + b"\x00" * 40, b"<svg xmlns='x'/>"],
    ids=["pdf", "gif", "svg"],
)
async def test_a_non_image_is_415(client: Any, data: bytes) -> None:
    gw = await as_user(client, "gw.a1")
    body = data + uuid.uuid4().bytes
    sha = hashlib.sha256(body).hexdigest()
    assert_error(await put(gw, sha, body, "image/png"), 415)
    assert_error(await gw.get(f"/api/attachments/{sha}"), 404)


async def test_more_than_5_mib_is_413(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    sha, data = image(size=5 * 1024 * 1024 + 1)
    assert_error(await put(gw, sha, data), 413)
    exactly, data = image(size=5 * 1024 * 1024)
    assert (await put(gw, exactly, data)).status_code == 201


@pytest.mark.parametrize(
    "name",
    ["abc", "A" * 64, "g" * 64, "0" * 63, "0" * 65, "..%2F..%2Fetc%2Fpasswd"],
    ids=["short", "upper", "not-hex", "63", "65", "traversal"],
)
async def test_a_bad_name_is_400(client: Any, name: str) -> None:
    gw = await as_user(client, "gw.a1")
    _, data = image()
    response = await put(gw, name, data)
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)
    if "%" not in name:
        assert_error(response, 400, "invalid_request")
        assert_error(await gw.get(f"/api/attachments/{name}"), 400, "invalid_request")


async def test_an_empty_body_is_400(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    assert_error(await put(gw, hashlib.sha256(b"").hexdigest(), b""), 400)


async def test_attachments_need_a_token(client: Any) -> None:
    sha, data = image()
    assert_error(await client.put(f"/api/attachments/{sha}", content=data), 401)
    assert_error(await client.get(f"/api/attachments/{sha}"), 401)


async def test_readable_by_who_can_see_a_record_referencing_it(client: Any) -> None:
    uploader = await as_user(client, "gw.a1")
    sha, data = image("jpeg")
    assert (await put(uploader, sha, data)).status_code == 201
    # the uploader reads it back before any record names it
    own = await uploader.get(f"/api/attachments/{sha}")
    assert own.status_code == 200 and own.content == data
    assert own.headers["content-type"].startswith("image/jpeg")
    colleague = await as_user(client, "gw.a2")
    assert_error(await colleague.get(f"/api/attachments/{sha}"), 404, "not_found")

    await create_dispute(uploader, photos=[sha])
    for username in ("gw.a2", "admin.a", "street.a", "district", "lawyer.a"):
        response = await (await as_user(client, username)).get(f"/api/attachments/{sha}")
        assert response.status_code == 200, username
        assert response.content == data
    for username in ("gw.b1", "admin.b", "dept.housing", "psy.b"):
        response = await (await as_user(client, username)).get(f"/api/attachments/{sha}")
        assert_error(response, 404, "not_found")


async def test_a_visit_photo_is_readable_in_the_disputes_community(client: Any) -> None:
    gw = await as_user(client, "gw.a2")
    sha, data = image("webp")
    assert (await put(gw, sha, data)).status_code == 201
    dispute_id = await create_dispute(await as_user(client, "gw.a1"))
    await create(gw, "visits", {"dispute_id": dispute_id, "kind": "visit", "photos": [sha]})
    assert (
        await (await as_user(client, "admin.a")).get(f"/api/attachments/{sha}")
    ).status_code == 200
    assert_error(await (await as_user(client, "gw.b1")).get(f"/api/attachments/{sha}"), 404)


async def test_a_deleted_record_no_longer_shares_its_photos(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    sha, data = image()
    assert (await put(gw, sha, data)).status_code == 201
    dispute_id = await create_dispute(gw, photos=[sha])
    reader = await as_user(client, "gw.a2")
    assert (await reader.get(f"/api/attachments/{sha}")).status_code == 200
    admin = await as_user(client, "admin.a")  # grid workers withdraw; admins delete
    assert_ok(await admin.push_one("disputes", dispute_id, op="delete", base_version=1))
    assert_error(await reader.get(f"/api/attachments/{sha}"), 404)


async def test_an_unknown_attachment_is_404(client: Any) -> None:
    gw = await as_user(client, "district")
    assert_error(await gw.get(f"/api/attachments/{'ab' * 32}"), 404, "not_found")
