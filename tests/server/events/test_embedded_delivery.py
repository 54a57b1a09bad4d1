"""`doorstep run` without Redis delivers warnings and dispatch orders end to end: a real server
process, real Web Push encryption, the local push service decrypting what arrives.

A red dispute pushed by a grid worker reaches the community admin's phone as a decrypted
`warning` message; an order issued by the community reaches the housing officer's phone. The
payloads hold the five protocol keys and no personal data.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import COMMUNITY_A, HOUSING
from tests.server.notify.pushservice import PushService, Received, Subscriber
from tests.server.test_processes import clean_env, free_port, wait_ready

DOORSTEP = str(Path(sys.executable).with_name("doorstep"))
STAMP = "%Y-%m-%dT%H:%M:%S.000Z"


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService().start()
    yield service
    service.stop()


@pytest.fixture
def embedded_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = clean_env(DOORSTEP_DATA_DIR=str(tmp_path), DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS="1")
    proc = subprocess.Popen(
        [DOORSTEP, "run", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/health/ready", proc, timeout=90)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


class Phone:
    def __init__(self, base: str, username: str) -> None:
        answer = httpx.post(
            f"{base}/api/auth/login",
            json={"username": username, "password": "doorstep-demo", "device_name": username},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        self.base = base
        self.headers = {"Authorization": f"Bearer {body['access_token']}"}
        self.device_id = body["device_id"]
        self.seq = 0

    def subscribe(self, service: PushService) -> Subscriber:
        sub = service.subscribe()
        answer = httpx.post(
            f"{self.base}/api/push/subscriptions",
            json=sub.subscription_json(),
            headers=self.headers,
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        return sub

    def push(self, collection: str, fields: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        now_ms = int(time.time() * 1000)
        mutation = {
            "id": str(uuid.uuid4()),
            "seq": self.seq,
            "collection": collection,
            "record_id": str(uuid.uuid4()),
            "op": "upsert",
            "base_version": 0,
            "hlc": f"{now_ms:013d}-0000-{self.device_id}",
            "fields": fields,
        }
        answer = httpx.post(
            f"{self.base}/api/sync/push",
            json={"schema_version": 1, "mutations": [mutation]},
            headers=self.headers,
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()["results"][0]
        assert result["status"] == "applied", result
        return mutation


def wait_for(service: PushService, sub: Subscriber, kind: str, timeout: float = 30) -> Received:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in service.delivered(sub):
            if message.payload.get("type") == kind:
                return message
        time.sleep(0.2)
    raise AssertionError(f"no {kind} message arrived; got {service.messages(sub)}")


@pytest.mark.slow  # a real `doorstep run` process
def test_doorstep_run_delivers_warnings_and_orders_without_redis(
    embedded_server: str, push_service: PushService
) -> None:
    assert "DOORSTEP_REDIS_URL" not in clean_env()
    admin = Phone(embedded_server, "admin.a")
    officer = Phone(embedded_server, "dept.housing")
    admin_phone = admin.subscribe(push_service)
    officer_phone = officer.subscribe(push_service)

    worker = Phone(embedded_server, "gw.a1")
    secret_title = f"张三与李四的纠纷 {uuid.uuid4().hex[:6]}"
    worker.push(
        "disputes",
        {
            "community_id": str(COMMUNITY_A),
            "title": secret_title,
            "risk_level": "red",
            "channel": "door_to_door",
            "parties": [{"name": "张三", "phone": "13800000000", "role": "申请人"}],
        },
    )
    warning = wait_for(push_service, admin_phone, "warning")
    assert set(warning.payload) == {"type", "title", "body", "url", "id"}
    assert warning.payload["title"] == "红色预警"
    assert warning.urgency == "high"
    assert warning.ttl > 0
    for secret in (secret_title, "张三", "13800000000"):
        assert secret not in str(warning.payload)

    now = datetime.now(UTC)
    admin.push(
        "dispatch_orders",
        {
            "community_id": str(COMMUNITY_A),
            "department_id": str(HOUSING),
            "summary": "请到场处置",
            "arrive_by": (now + timedelta(hours=2)).strftime(STAMP),
            "resolve_by": (now + timedelta(days=1)).strftime(STAMP),
            "status": "issued",
        },
    )
    order = wait_for(push_service, officer_phone, "dispatch_order")
    assert order.payload["url"].startswith("#/orders/")
    assert order.urgency == "high"
    assert order.topic  # later updates of the same order collapse
    assert 0 < order.ttl <= 2 * 3600 + 60  # until the arrival deadline
