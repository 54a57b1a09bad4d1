"""Abuse of the public door: codes cannot be enumerated, submissions are limited per client
address and per station (429 with Retry-After), big bodies are refused, the honeypot stores
nothing, and spam never raises a warning."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest

from server.public import codes
from server.public.tables import PublicAppeal, PublicThrottle
from server.settings import get_settings
from server.warnings.tables import GradedWarning
from tests.conftest import TEST_SEED
from tests.helpers import login
from tests.server.public.conftest import appeal
from tests.server.public.flow import pending_item, submit

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


async def test_a_thousand_random_codes_find_nothing_and_get_rate_limited(client: Any) -> None:
    await submit(client, title="枚举测试")
    rng = random.Random(TEST_SEED)
    answers = []
    for _ in range(1000):
        code = "".join(rng.choice(codes.ALPHABET) for _ in range(codes.LENGTH))
        response = await client.get(f"/api/public/appeals/{code}")
        answers.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
    limit = get_settings().public_lookups_per_address
    assert set(answers[:limit]) == {404}
    assert set(answers[limit:]) == {429}
    assert 200 not in answers


async def test_codes_are_stored_hashed_and_read_forgivingly(client: Any) -> None:
    body = await submit(client, title="查询码测试")
    code = body["tracking_code"]
    rows = await PublicAppeal.select(PublicAppeal.code_hash)
    assert all(code not in str(r) for r in rows)
    spaced = f"{code[:5].lower()} {code[5:]}"
    assert (await client.get(f"/api/public/appeals/{spaced}")).status_code == 200
    assert not set("01ILO") & set(codes.ALPHABET)
    assert len({codes.new_code() for _ in range(2000)}) == 2000


async def test_submissions_are_limited_per_address(client: Any) -> None:
    limit = get_settings().public_appeals_per_address
    for n in range(limit):
        await submit(client, title=f"限流测试{n}")
    response = await client.post("/api/public/appeals", json=appeal(title="限流测试多余"))
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "too_many_requests"
    admin = await login(client, "admin.a")
    listed = (await admin.get("/api/triage/appeals")).json()
    assert not [i for i in listed if i["title"] == "限流测试多余"]


async def test_submissions_are_limited_per_station(client: Any) -> None:
    """Many addresses, one station: the station's own limit holds (a poster photographed and
    posted online, or a botnet)."""
    limit = get_settings().public_appeals_per_station
    await PublicThrottle.insert(
        PublicThrottle(key="appeal-station:GM.GUANGMING.C01.S1", window_start=_now(), hits=limit)
    )
    response = await client.post("/api/public/appeals", json=appeal(title="站点限流"))
    assert response.status_code == 429 and "Retry-After" in response.headers


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def test_a_body_over_64_kib_is_refused(client: Any) -> None:
    big = appeal(description="长" * 30000)
    response = await client.post("/api/public/appeals", json=big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_the_honeypot_stores_nothing_and_warns_nobody(client: Any) -> None:
    before = await PublicAppeal.count()
    warnings = await GradedWarning.count()
    response = await client.post(
        "/api/public/appeals", json=appeal(title="蜜罐", website="http://spam.example")
    )
    assert response.status_code == 201 and len(response.json()["tracking_code"]) == 10
    assert await PublicAppeal.count() == before
    assert await GradedWarning.count() == warnings
    assert (await client.get(response.json()["status_url"])).status_code == 404


async def test_spam_rejected_by_the_hall_raises_no_warning_and_the_resident_reads_why(
    client: Any,
) -> None:
    warnings = await GradedWarning.count()
    body = await submit(client, title="广告推销")
    admin = await login(client, "admin.a")
    item = await pending_item(admin, "广告推销")
    rejected = await admin.post(
        f"/api/triage/appeals/{item['appeal_id']}/reject", json={"reason": "内容为商业广告"}
    )
    assert rejected.status_code == 200, rejected.text
    status = (await client.get(body["status_url"])).json()
    assert status["status"] == "rejected" and status["reject_reason"] == "内容为商业广告"
    assert "内容为商业广告" in status["timeline"][-1]["what"]
    assert await GradedWarning.count() == warnings
    # the rejected appeal's dispute is gone from the hall's devices (a tombstone)
    await admin.pull_all()
    assert admin.seen[("disputes", item["dispute_id"])]["deleted"] is True


@pytest.mark.parametrize(
    "fields",
    [
        {"service_type": "gossip"},
        {"title": ""},
        {"title": "长" * 101},
        {"contact_phone": "call me"},
        {"location": {"lat": 91, "lng": 0}},
        {"photos": ["abc"]},
        {"unknown": 1},
        {"station_code": None},
    ],
)
async def test_bad_appeals_are_refused_and_change_nothing(
    client: Any, fields: dict[str, Any]
) -> None:
    before = await PublicAppeal.count()
    response = await client.post("/api/public/appeals", json=appeal(**fields))
    assert response.status_code in (400, 422), response.text
    assert "error" in response.json()
    assert await PublicAppeal.count() == before


async def test_unknown_station_is_404(client: Any) -> None:
    response = await client.post("/api/public/appeals", json=appeal(station_code="GM.NOPE"))
    assert response.status_code == 404


async def test_public_photos_images_only_hash_checked(client: Any) -> None:
    digest = hashlib.sha256(PNG).hexdigest()
    put = await client.put(f"/api/public/attachments/{digest}", content=PNG)
    assert put.status_code in (200, 201), put.text
    assert (await client.put(f"/api/public/attachments/{'0' * 64}", content=PNG)).status_code == 422
    text = b"hello, not an image"
    text_hash = hashlib.sha256(text).hexdigest()
    assert (
        await client.put(f"/api/public/attachments/{text_hash}", content=text)
    ).status_code == 415
    big = b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024)
    big_hash = hashlib.sha256(big).hexdigest()
    assert (await client.put(f"/api/public/attachments/{big_hash}", content=big)).status_code == 413
    body = await submit(client, title="带照片的诉求", photos=[digest])
    admin = await login(client, "admin.a")
    item = await pending_item(admin, "带照片的诉求")
    assert item["photos"] == [digest]
    # the hall reads the photo through the usual attachments endpoint
    assert (await admin.get(f"/api/attachments/{digest}")).status_code == 200
    assert body["tracking_code"]


async def test_a_staff_photo_cannot_be_named_by_a_public_appeal(client: Any) -> None:
    gw = await login(client, "gw.b1")
    photo = PNG + b"staff"
    digest = hashlib.sha256(photo).hexdigest()
    stored = await client.put(f"/api/attachments/{digest}", content=photo, headers=gw.headers)
    assert stored.status_code == 201
    response = await client.post("/api/public/appeals", json=appeal(photos=[digest]))
    assert response.status_code == 422
