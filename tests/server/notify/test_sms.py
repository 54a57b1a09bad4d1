"""Issue 14 "Done when": alerts reach phones where Web Push cannot.

A local SMS platform (`smsgateway.py`: checks the signature, records messages, makes receipts,
answers 429/5xx/4xx from a script) and the local push service stand in for the real ones; the
escalation runs with a controllable clock (`sms_on_silence(now)`, as every scheduled job), and
the outboxes are drained by the same delivery functions the embedded deliverer and the Celery
tasks call. Proved here: a red warning to a user whose push endpoint fails reaches them by SMS
once; an acknowledged push prevents the SMS; a silent 5 minutes sends it; a gateway outage
retries and delivers once; duplicate receipts change nothing; no personal data in any SMS; the
cap holds (and red still goes past it). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.inbox.escalation import sms_on_silence
from server.notify.delivery import deliver_batch_async, due_ids
from server.notify.policy import configure, policy
from server.notify.sms import deliver_sms_async, due_sms
from server.notify.tables import (
    PushDelivery,
    PushSubscription,
    SmsAttempt,
    SmsDelivery,
    StaffContact,
)
from tests.helpers import COMMUNITY_A, DISTRICT, HOUSING, Session, login, new_dispute
from tests.server.notify.conftest import use_settings
from tests.server.notify.helpers import eventually
from tests.server.notify.pushservice import Answer, PushService, Subscriber
from tests.server.notify.smsgateway import Reply, SmsGateway
from tests.server.notify.support import TEST_POLICY

pytestmark = pytest.mark.usefixtures("database")

PHONES = {
    "admin.a": "13800000001",
    "dept.housing": "13800000002",
    "street.a": "13800000003",
}
#: what the parties of the test dispute are called: must never appear in an SMS
PARTY_NAME, PARTY_PHONE = "王秀英", "13912345678"


@pytest.fixture(scope="module")
def gateway() -> Iterator[SmsGateway]:
    service = SmsGateway().start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def push_service() -> Iterator[PushService]:
    service = PushService().start()
    yield service
    service.stop()


@pytest.fixture
async def sms_env(gateway: SmsGateway, push_service: PushService) -> AsyncIterator[SmsGateway]:
    """The SMS platform configured, fast retries, and a clean slate of phones and outboxes."""
    before = policy()
    configure(**TEST_POLICY)
    use_settings(
        DOORSTEP_SMS_URL=gateway.url,
        DOORSTEP_SMS_KEY=gateway.key,
        DOORSTEP_SMS_SENDER="家门口",
        DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS="1",
        DOORSTEP_SMS_DAILY_CAP=None,
    )
    gateway.reset()
    push_service.reset()
    await SmsDelivery.delete(force=True)
    await StaffContact.delete(force=True)
    await PushSubscription.delete(force=True)
    await PushDelivery.delete(force=True)
    yield gateway
    await PushSubscription.delete(force=True)
    await StaffContact.delete(force=True)
    configure(**before.__dict__)
    use_settings(
        DOORSTEP_SMS_URL=None,
        DOORSTEP_SMS_KEY=None,
        DOORSTEP_SMS_SENDER=None,
        DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS=None,
        DOORSTEP_SMS_DAILY_CAP=None,
    )


async def set_phones(client: Any, *names: str) -> dict[str, Session]:
    """The district admin sets each user's work phone; each confirms it."""
    district = await login(client, "district")
    who = {name: await login(client, name) for name in names}
    for name, session in who.items():
        r = await client.put(
            f"/api/admin/users/{session.user_id}/phone",
            json={"phone": PHONES[name]},
            headers=district.headers,
        )
        assert r.status_code == 200, r.text
        r = await session.post("/api/notify/me/phone/confirm", json={"phone": PHONES[name]})
        assert r.status_code == 200 and r.json()["phone_confirmed"] is True, r.text
    return who


async def subscribe(session: Session, service: PushService) -> Subscriber:
    sub = service.subscribe()
    r = await session.post("/api/push/subscriptions", json=sub.subscription_json())
    assert r.status_code == 201, r.text
    return sub


async def raise_red(client: Any) -> tuple[str, datetime]:
    """A grid worker raises a dispute to red: a red warning to admin.a, street.a, district..."""
    gw = await login(client, "gw.a1")
    dispute_id = str(uuid.uuid4())
    fields = new_dispute(
        risk_level="yellow",
        parties=[{"name": PARTY_NAME, "phone": PARTY_PHONE, "role": "applicant"}],
    )
    created = await gw.push_one("disputes", dispute_id, fields)
    assert created["status"] == "applied", created
    raised = await gw.push_one("disputes", dispute_id, {"risk_level": "red"}, base_version=1)
    assert raised["status"] == "applied", raised
    return dispute_id, datetime.now(UTC)


async def deliver_pushes() -> None:
    for _ in range(10):
        ids = await due_ids(grace_seconds=0, limit=1000)
        if not ids:
            return
        await deliver_batch_async(ids)


async def deliver_sms(within: float = 15.0) -> None:
    """Send what is due until nothing is pending (retries come due after their backoff)."""

    async def drained() -> bool:
        ids = await due_sms(limit=100)
        if ids:
            await deliver_sms_async(ids)
        return await SmsDelivery.count().where(SmsDelivery.status == "pending") == 0

    await eventually(drained, within=within, what="the SMS outbox to drain")


async def sms_rows(user_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await SmsDelivery.select().where(
        SmsDelivery.user_id == uuid.UUID(user_id)
    )
    return rows


async def test_a_red_warning_to_a_user_whose_push_fails_reaches_them_by_sms_once(
    client: Any, sms_env: SmsGateway, push_service: PushService
) -> None:
    who = await set_phones(client, "admin.a")
    service = push_service
    sub = await subscribe(who["admin.a"], service)
    service.script(sub, Answer(status=410))  # the endpoint is gone: nothing will ring
    _, raised_at = await raise_red(client)
    [row] = await sms_rows(who["admin.a"].user_id)
    assert row["status"] == "held"  # they have a subscription: the push gets its chance

    await deliver_pushes()  # 410: the push cannot reach any of their devices
    assert await sms_on_silence(datetime.now(UTC)) == 1  # the hold ended with the push
    await deliver_sms()
    [sms] = sms_env.sent_to(PHONES["admin.a"])
    assert sms.params["level"] == "红色" and sms.text.startswith("【家门口】红色预警")

    # Later runs of the escalation and the deliverer send nothing more.
    assert await sms_on_silence(raised_at + timedelta(minutes=10)) == 0
    await deliver_sms()
    assert len(sms_env.sent_to(PHONES["admin.a"])) == 1


@pytest.mark.parametrize("how", ["opened", "acknowledged_in_app", "read_in_inbox"])
async def test_an_acknowledged_push_prevents_the_sms(
    client: Any, sms_env: SmsGateway, push_service: PushService, how: str
) -> None:
    who = await set_phones(client, "admin.a")
    admin = who["admin.a"]
    await subscribe(admin, push_service)
    await admin.pull_all()
    dispute_id, raised_at = await raise_red(client)
    await deliver_pushes()
    await admin.pull_all()
    [warning_id] = [
        key[1]
        for key, c in admin.seen.items()
        if key[0] == "warnings" and c["fields"].get("subject_id") == dispute_id
    ]
    [(note_id, note)] = [
        (key[1], c)
        for key, c in admin.seen.items()
        if key[0] == "notifications" and c["fields"]["url"] == f"#/inbox/warnings/{warning_id}"
    ]
    if how == "opened":  # the app reports the notification click at once
        r = await admin.post("/api/notify/acks", json={"notification_id": note_id})
        assert r.status_code == 200 and r.json()["sms_cancelled"] == 1, r.text
    elif how == "acknowledged_in_app":
        warning = admin.seen[("warnings", warning_id)]
        result = await admin.push_one(
            "warnings",
            warning_id,
            {"acknowledged_by": [admin.user_id]},
            base_version=warning["version"],
        )
        assert result["status"] == "applied", result
    else:  # opened from the inbox: the read flag syncs
        result = await admin.push_one(
            "notifications", note_id, {"read": True}, base_version=note["version"]
        )
        assert result["status"] == "applied", result

    assert await sms_on_silence(raised_at + timedelta(minutes=6)) == 0
    await deliver_sms()
    assert sms_env.sent_to(PHONES["admin.a"]) == []
    [row] = await sms_rows(admin.user_id)
    assert row["status"] == "cancelled" and dispute_id not in json.dumps(row, default=str)


async def test_a_silent_five_minutes_sends_the_sms(
    client: Any, sms_env: SmsGateway, push_service: PushService
) -> None:
    who = await set_phones(client, "admin.a")
    await subscribe(who["admin.a"], push_service)  # the push is delivered (201)...
    _, raised_at = await raise_red(client)
    await deliver_pushes()
    assert push_service.delivered()  # ...and rings, but nobody opens it
    assert await sms_on_silence(raised_at + timedelta(minutes=4, seconds=50)) == 0
    await deliver_sms()
    assert sms_env.sent_to(PHONES["admin.a"]) == []
    assert await sms_on_silence(raised_at + timedelta(minutes=5, seconds=1)) == 1
    await deliver_sms()
    assert len(sms_env.sent_to(PHONES["admin.a"])) == 1


async def test_users_without_push_get_the_order_by_sms_at_once(
    client: Any, sms_env: SmsGateway
) -> None:
    """The housing officer has no push subscription: the order goes by SMS straight away."""
    who = await set_phones(client, "dept.housing")
    await issue_order(client)
    [row] = await sms_rows(who["dept.housing"].user_id)
    assert row["status"] == "pending" and row["level"] == "order"
    await deliver_sms()
    [sms] = sms_env.sent_to(PHONES["dept.housing"])
    assert sms.template == "doorstep.sms_order.zh-CN"


async def issue_order(client: Any) -> str:
    admin = await login(client, "admin.a")
    order_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    result = await admin.push_one(
        "dispatch_orders",
        order_id,
        {
            "community_id": str(COMMUNITY_A),
            "department_id": str(HOUSING),
            "summary": f"{PARTY_NAME}家漏水，电话{PARTY_PHONE}",
            "required_leader_level": "section",
            "arrive_by": iso(now + timedelta(hours=2)),
            "resolve_by": iso(now + timedelta(days=1)),
            "status": "issued",
        },
    )
    assert result["status"] == "applied", result
    return order_id


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


async def test_a_gateway_outage_retries_and_delivers_once(client: Any, sms_env: SmsGateway) -> None:
    who = await set_phones(client, "dept.housing")
    sms_env.answer(Reply(503), Reply(429, retry_after="1"), Reply(200))
    await issue_order(client)
    await deliver_sms(within=20)
    [sms] = sms_env.sent_to(PHONES["dept.housing"])
    assert [status for status, _ in sms_env.requests] == [503, 429, 200]
    # one idempotency key for all three requests: the platform could not deliver it twice
    assert {key for _, key in sms_env.requests} == {sms.idempotency_key}
    [row] = await sms_rows(who["dept.housing"].user_id)
    assert row["status"] == "sent" and row["attempts"] == 3
    attempts = (
        await SmsAttempt.select(SmsAttempt.status_code, SmsAttempt.outcome)
        .where(SmsAttempt.delivery == row["id"])
        .order_by(SmsAttempt._meta.primary_key)
    )
    assert [(a["status_code"], a["outcome"]) for a in attempts] == [
        (503, "retry"),
        (429, "retry"),
        (200, "sent"),
    ]


async def test_a_permanent_rejection_is_recorded_and_not_repeated(
    client: Any, sms_env: SmsGateway
) -> None:
    who = await set_phones(client, "dept.housing")
    sms_env.answer(Reply(400))
    await issue_order(client)
    await deliver_sms()
    await deliver_sms()
    [row] = await sms_rows(who["dept.housing"].user_id)
    assert row["status"] == "failed" and row["last_error"] == "rejected: HTTP 400"
    assert [status for status, _ in sms_env.requests] == [400]


async def test_a_down_gateway_that_never_answers_leaves_a_retry_not_a_loss(
    client: Any, sms_env: SmsGateway
) -> None:
    """Connection refused (the platform is down): the row stays pending with its attempt
    recorded, and is sent once the platform is back."""
    who = await set_phones(client, "dept.housing")
    use_settings(DOORSTEP_SMS_URL="http://127.0.0.1:9/sms/send")  # nothing listens there
    await issue_order(client)
    ids = await due_sms()
    report = await deliver_sms_async(ids)
    assert report.retry and not report.sent
    [row] = await sms_rows(who["dept.housing"].user_id)
    assert row["status"] == "pending" and row["last_error"].startswith("network")
    use_settings(DOORSTEP_SMS_URL=sms_env.url)
    await deliver_sms()
    assert len(sms_env.sent_to(PHONES["dept.housing"])) == 1


async def test_duplicate_receipts_change_nothing(client: Any, sms_env: SmsGateway) -> None:
    who = await set_phones(client, "dept.housing")
    await issue_order(client)
    await deliver_sms()
    [sms] = sms_env.sent_to(PHONES["dept.housing"])
    body, headers = sms_env.receipt(sms, "delivered")

    first = await client.post("/api/notify/sms/receipts", content=body, headers=headers)
    assert first.status_code == 200 and first.json()["recorded"] is True, first.text
    [before] = await sms_rows(who["dept.housing"].user_id)
    assert before["receipt_status"] == "delivered"

    again = await client.post("/api/notify/sms/receipts", content=body, headers=headers)
    assert again.status_code == 200 and again.json()["recorded"] is False
    late_body, late_headers = sms_env.receipt(sms, "failed")
    late = await client.post("/api/notify/sms/receipts", content=late_body, headers=late_headers)
    assert late.status_code == 200 and late.json()["recorded"] is False
    [after] = await sms_rows(who["dept.housing"].user_id)
    assert after == before

    # the admin view now knows SMS reaches this officer
    district = await login(client, "district")
    r = await district.get("/api/admin/reachability")
    assert r.status_code == 200, r.text
    [officer] = [u for u in r.json() if u["username"] == "dept.housing"]
    assert officer["sms"] == "ok" and officer["last_sms_receipt_at"] and officer["reachable"]


async def test_receipts_must_be_signed_and_well_formed(client: Any, sms_env: SmsGateway) -> None:
    await set_phones(client, "dept.housing")
    await issue_order(client)
    await deliver_sms()
    [sms] = sms_env.sent_to(PHONES["dept.housing"])
    body, headers = sms_env.receipt(sms)
    forged = {**headers, "X-Doorstep-Signature": "sha256=" + "0" * 64}
    r = await client.post("/api/notify/sms/receipts", content=body, headers=forged)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_signature"
    unsigned = {"Content-Type": "application/json"}
    assert (
        await client.post("/api/notify/sms/receipts", content=body, headers=unsigned)
    ).status_code == 401
    for bad in (
        b"not json",
        json.dumps({"idempotency_key": sms.idempotency_key, "status": "maybe"}).encode(),
        json.dumps({"idempotency_key": "x" * 36, "status": "delivered"}).encode(),
        json.dumps(
            {"idempotency_key": sms.idempotency_key, "status": "delivered", "at": "2026-13-99"}
        ).encode(),
    ):
        signed = {"Content-Type": "application/json", "X-Doorstep-Signature": _sign(sms_env, bad)}
        r = await client.post("/api/notify/sms/receipts", content=bad, headers=signed)
        assert r.status_code == 422, (bad, r.text)
    unknown = json.dumps({"idempotency_key": str(uuid.uuid4()), "status": "delivered"}).encode()
    signed = {"Content-Type": "application/json", "X-Doorstep-Signature": _sign(sms_env, unknown)}
    r = await client.post("/api/notify/sms/receipts", content=unknown, headers=signed)
    assert r.status_code == 404
    row = await SmsDelivery.select(SmsDelivery.receipt_status).first()
    assert row is not None and row["receipt_status"] is None


def _sign(gateway: SmsGateway, body: bytes) -> str:
    from tests.server.notify.smsgateway import sign

    return sign(gateway.key, body)


async def test_no_personal_data_in_any_sms(client: Any, sms_env: SmsGateway) -> None:
    """Every request the platform got — a red warning about a dispute with named parties, an
    order whose summary names a resident — carries a template, the level and a code, and the
    staff member's own number; nothing else."""
    await set_phones(client, "admin.a", "dept.housing", "street.a")
    await raise_red(client)
    await issue_order(client)
    await sms_on_silence(datetime.now(UTC) + timedelta(minutes=6))
    await deliver_sms()
    assert len(sms_env.messages) == 3  # admin.a, street.a (red) and dept.housing (order)
    for sms in sms_env.messages:
        assert sms.to in PHONES.values()
        assert set(sms.params) == {"level", "code"}
        assert len(sms.params["code"]) == 8 and sms.params["code"].isalnum()
        for secret in (PARTY_NAME, PARTY_PHONE, "漏水", "王"):
            assert secret not in sms.body and secret not in sms.text, (secret, sms.body)
        assert len(sms.text) <= 70  # one SMS segment of Chinese text


async def test_the_short_code_opens_the_record_for_its_recipient_only(
    client: Any, sms_env: SmsGateway
) -> None:
    who = await set_phones(client, "dept.housing")
    order_id = await issue_order(client)
    await deliver_sms()
    [sms] = sms_env.sent_to(PHONES["dept.housing"])
    r = await who["dept.housing"].get(f"/api/notify/codes/{sms.params['code'].lower()}")
    assert r.status_code == 200 and r.json()["url"] == f"#/orders/{order_id}"
    other = await login(client, "admin.a")
    assert (await other.get(f"/api/notify/codes/{sms.params['code']}")).status_code == 404
    assert (await other.get("/api/notify/codes/" + "A" * 40)).status_code == 404


async def test_the_cap_holds_and_red_still_goes_past_it(client: Any, sms_env: SmsGateway) -> None:
    use_settings(DOORSTEP_SMS_DAILY_CAP="2")
    who = await set_phones(client, "dept.housing", "admin.a")
    for _ in range(3):
        await issue_order(client)
    await deliver_sms()
    statuses = sorted(r["status"] for r in await sms_rows(who["dept.housing"].user_id))
    assert statuses == ["capped", "sent", "sent"]
    assert len(sms_env.sent_to(PHONES["dept.housing"])) == 2

    # community A's own allowance is separate; fill it with orders... then red still goes
    await SmsDelivery.update({SmsDelivery.org_unit_id: COMMUNITY_A}).where(
        SmsDelivery.user_id == uuid.UUID(who["dept.housing"].user_id)
    )
    await raise_red(client)
    await sms_on_silence(datetime.now(UTC) + timedelta(minutes=6))
    await deliver_sms()
    assert len(sms_env.sent_to(PHONES["admin.a"])) == 1  # past the cap, but red


async def test_english_users_get_english_pushes_and_sms(
    client: Any, sms_env: SmsGateway, push_service: PushService
) -> None:
    """Texts are rendered per recipient at delivery: the same warning reaches admin.a in
    English and street.a in Chinese."""
    who = await set_phones(client, "admin.a", "street.a")
    r = await who["admin.a"].client.put(
        "/api/notify/me/language", json={"language": "en"}, headers=who["admin.a"].headers
    )
    assert r.status_code == 200 and r.json()["language"] == "en", r.text
    service = push_service
    en_sub = await subscribe(who["admin.a"], service)
    zh_sub = await subscribe(who["street.a"], service)
    await raise_red(client)
    await deliver_pushes()
    [en_push] = service.delivered(en_sub)
    [zh_push] = service.delivered(zh_sub)
    assert en_push.payload["title"] == "Red warning", en_push.payload
    assert zh_push.payload["title"] == "红色预警"
    assert set(en_push.payload) == {"type", "title", "body", "url", "id"}
    await sms_on_silence(datetime.now(UTC) + timedelta(minutes=6))
    await deliver_sms()
    [en_sms] = sms_env.sent_to(PHONES["admin.a"])
    [zh_sms] = sms_env.sent_to(PHONES["street.a"])
    assert en_sms.template == "doorstep.sms_warning.en" and en_sms.params["level"] == "Red"
    assert en_sms.text.startswith("[Doorstep] Red warning")
    assert zh_sms.template == "doorstep.sms_warning.zh-CN"
    # the inbox keeps the notice language-neutral: the app renders it for whoever reads it
    await who["admin.a"].pull_all()
    notes = [
        c["fields"]
        for key, c in who["admin.a"].seen.items()
        if key[0] == "notifications" and c["fields"].get("template") == "warning_dispute"
    ]
    assert notes and notes[-1]["params"] == {"level": "red"}


async def test_the_command_view_counts_sms_per_unit_against_the_cap(
    client: Any, sms_env: SmsGateway
) -> None:
    use_settings(DOORSTEP_SMS_DAILY_CAP="2")
    await set_phones(client, "dept.housing")
    for _ in range(3):
        await issue_order(client)
    await deliver_sms()
    district = await login(client, "district")
    now = datetime.now(UTC)
    r = await district.get(
        "/api/command/stats",
        params={
            "org_unit_id": str(DISTRICT),
            "from": iso(now - timedelta(hours=1)),
            "to": iso(now + timedelta(hours=1)),
        },
    )
    assert r.status_code == 200, r.text
    figures = r.json()["sms"]
    assert (figures["sent"], figures["capped"], figures["order"], figures["daily_cap"]) == (
        2,
        1,
        2,
        2,
    )
    assert figures["today"] == [{"org_unit_id": str(HOUSING), "used": 2, "capped": 1}]
    # a community admin's window does not hold the district department's SMS
    admin = await login(client, "admin.a")
    mine = await admin.get(
        "/api/command/stats",
        params={
            "org_unit_id": str(COMMUNITY_A),
            "from": iso(now - timedelta(hours=1)),
            "to": iso(now + timedelta(hours=1)),
        },
    )
    assert mine.status_code == 200 and mine.json()["sms"]["sent"] == 0


@pytest.mark.slow
async def test_with_redis_a_celery_worker_sends_the_due_sms(
    client: Any, sms_env: SmsGateway, worker: Any, celery_broker: str
) -> None:
    """Production mode: the after-commit kick publishes `notify.sms_due` and a real Celery
    worker (its own process, the SMS platform in its environment) sends the SMS."""
    from tests.server.notify.conftest import point_celery_at

    worker.stop()
    worker.extra_env = {"DOORSTEP_SMS_URL": sms_env.url, "DOORSTEP_SMS_KEY": sms_env.key}
    worker.start()
    use_settings(DOORSTEP_REDIS_URL=celery_broker)
    point_celery_at(celery_broker)
    try:
        await set_phones(client, "dept.housing")
        await issue_order(client)
        await eventually(
            lambda: len(sms_env.sent_to(PHONES["dept.housing"])) == 1,
            within=60,
            what="the worker to send the SMS",
        )
        [row] = await sms_rows((await login(client, "dept.housing")).user_id)
        await eventually(
            lambda: _status(row["id"], "sent"), within=10, what="the row to settle as sent"
        )
    finally:
        use_settings(DOORSTEP_REDIS_URL=None)
        worker.stop()
        worker.extra_env = {}


async def _status(delivery_id: int, status: str) -> bool:
    row = await SmsDelivery.select(SmsDelivery.status).where(SmsDelivery.id == delivery_id).first()
    return row is not None and row["status"] == status
