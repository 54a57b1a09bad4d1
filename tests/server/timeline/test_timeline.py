"""`GET /api/records/{collection}/{id}/timeline`: a case history in words, in order, read like
the record itself, in Chinese or (Accept-Language) English."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.helpers import Session, login, new_dispute
from tests.server.replication.support import new_order, new_session

pytestmark = pytest.mark.usefixtures("database")


async def applied(session: Session, *args: Any, **kw: Any) -> dict[str, Any]:
    result = await session.push_one(*args, **kw)
    assert result["status"] == "applied", result
    return result


async def timeline(
    session: Session, collection: str, record_id: str, language: str | None = None
) -> dict[str, Any]:
    headers = {"Accept-Language": language} if language else {}
    response = await session.client.get(
        f"/api/records/{collection}/{record_id}/timeline", headers={**session.headers, **headers}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def case(client: httpx.AsyncClient) -> dict[str, str]:
    """A dispute's life: registered, described, raised to red (a warning follows), mediated;
    an order issued and acknowledged; the warning acknowledged."""
    gw = await login(client, "gw.a1")
    admin = await login(client, "admin.a")
    dept = await login(client, "dept.housing")
    dispute, order = str(uuid.uuid4()), str(uuid.uuid4())
    v = (
        await applied(
            gw,
            "disputes",
            dispute,
            new_dispute(
                title="赵六家漏水",
                parties=[{"name": "赵六", "phone": "13700001111", "role": "applicant"}],
            ),
        )
    )["record_version"]
    v = (await applied(gw, "disputes", dispute, {"description": "楼上漏水"}, base_version=v))[
        "record_version"
    ]
    v = (await applied(gw, "disputes", dispute, {"risk_level": "red"}, base_version=v))[
        "record_version"
    ]
    await applied(gw, "disputes", dispute, {"status": "mediating"}, base_version=v)
    await applied(admin, "dispatch_orders", order, {**new_order(), "dispute_id": dispute})
    await applied(dept, "dispatch_orders", order, {"status": "acknowledged"}, base_version=1)
    warnings = [
        e
        for e in (await timeline(admin, "disputes", dispute))["events"]
        if e["collection"] == "warnings"
    ]
    warning = warnings[0]["record_id"]
    await applied(
        admin,
        "warnings",
        warning,
        {"acknowledged_by": [admin.user_id]},
        base_version=1,
    )
    return {"dispute": dispute, "order": order, "warning": warning, "gw": gw.user_id}


async def test_a_disputes_history_reads_in_order(
    client: httpx.AsyncClient, case: dict[str, str]
) -> None:
    admin = await login(client, "admin.a")
    body = await timeline(admin, "disputes", case["dispute"])
    assert body["language"] == "zh" and body["truncated"] is False
    events = body["events"]
    for event in events:
        assert {"at", "who", "role", "what", "from", "to"} <= set(event)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    steps = [(e["collection"], e["what"], e["from"], e["to"]) for e in events]
    assert steps == [
        ("disputes", "新建纠纷（风险等级：蓝色）", None, "已登记"),
        ("disputes", "修改了描述", None, None),
        ("disputes", "风险等级由「蓝色」改为「红色」", "蓝色", "红色"),
        ("warnings", "预警：发出红色预警", None, None),
        ("disputes", "状态由「已登记」改为「调解中」", "已登记", "调解中"),
        ("dispatch_orders", "派单：新建派单", None, "已派单"),
        ("dispatch_orders", "派单：状态由「已派单」改为「已签收」", "已派单", "已签收"),
        ("warnings", "预警：确认收到", None, None),
    ]
    first = events[0]
    assert first["role"] == "网格员" and first["role_code"] == "grid_worker"
    assert first["user_id"] == case["gw"] and first["who"]
    assert events[3]["who"] == "系统" and events[3]["role_code"] == "server"
    assert events[6]["role"] == "职能部门"
    # a history names fields; it never quotes personal data
    text = json.dumps(body, ensure_ascii=False)
    assert "赵六" not in text and "13700001111" not in text and "楼上漏水" not in text


async def test_english_when_the_request_prefers_it(
    client: httpx.AsyncClient, case: dict[str, str]
) -> None:
    admin = await login(client, "admin.a")
    body = await timeline(admin, "disputes", case["dispute"], "en-US,en;q=0.9,zh-CN;q=0.8")
    assert body["language"] == "en"
    whats = [e["what"] for e in body["events"]]
    assert whats[0] == "created the dispute (risk level blue)"
    assert "changed risk level from blue to red" in whats
    assert "warning: raised a red warning" in whats
    assert body["events"][0]["role"] == "grid worker"
    chinese = await timeline(admin, "disputes", case["dispute"], "zh-CN,zh;q=0.9,en;q=0.8")
    assert chinese["language"] == "zh"


async def test_an_orders_history(client: httpx.AsyncClient, case: dict[str, str]) -> None:
    dept = await login(client, "dept.housing")
    body = await timeline(dept, "dispatch_orders", case["order"])
    assert [(e["what"], e["to"]) for e in body["events"]] == [
        ("新建派单", "已派单"),
        ("状态由「已派单」改为「已签收」", "已签收"),
    ]
    street = await login(client, "street.a")
    assert len((await timeline(street, "dispatch_orders", case["order"]))["events"]) == 2


async def test_read_like_the_record(client: httpx.AsyncClient, case: dict[str, str]) -> None:
    dispute = case["dispute"]
    for username, status in [
        ("admin.b", 403),
        ("gw.b1", 403),
        ("dept.housing", 403),
        ("street.a", 200),
        ("district", 200),
        ("gw.a2", 200),
    ]:
        session = await login(client, username)
        response = await session.get(f"/api/records/disputes/{dispute}/timeline")
        assert response.status_code == status, (username, response.text)
        if status == 403:
            assert response.json()["error"]["code"] == "forbidden"
    response = await client.get(f"/api/records/disputes/{dispute}/timeline")
    assert response.status_code == 401


async def test_bad_input(client: httpx.AsyncClient, case: dict[str, str]) -> None:
    admin = await login(client, "admin.a")
    for url, status in [
        (f"/api/records/no_such_things/{case['dispute']}/timeline", 404),
        (f"/api/records/disputes/{uuid.uuid4()}/timeline", 404),
        (f"/api/records/dispatch_orders/{case['dispute']}/timeline", 404),
        ("/api/records/disputes/not-a-uuid/timeline", 400),
        ("/api/records/disputes/12345/timeline", 400),
    ]:
        response = await admin.get(url)
        assert response.status_code == status, (url, response.text)
        assert "error" in response.json()


async def test_psych_history_is_its_psychologists_alone(client: httpx.AsyncClient) -> None:
    psy = await login(client, "psy.a")
    session_id = str(uuid.uuid4())
    await applied(psy, "psych_sessions", session_id, new_session(psy.user_id, notes="私密记录"))
    await applied(psy, "psych_sessions", session_id, {"status": "completed"}, base_version=1)
    body = await timeline(psy, "psych_sessions", session_id)
    assert [e["what"] for e in body["events"]] == [
        "新建心理咨询",
        "状态由「已预约」改为「已完成」",
    ]
    assert "私密记录" not in json.dumps(body, ensure_ascii=False)
    for username in ("admin.a", "street.a", "psy.b"):
        other = await login(client, username)
        response = await other.get(f"/api/records/psych_sessions/{session_id}/timeline")
        assert response.status_code == 403, (username, response.text)


async def test_a_deleted_record_keeps_its_history(client: httpx.AsyncClient) -> None:
    gw = await login(client, "gw.a1")
    admin = await login(client, "admin.a")
    dispute = str(uuid.uuid4())
    await applied(gw, "disputes", dispute, new_dispute())
    await applied(admin, "disputes", dispute, {}, op="delete", base_version=1)
    events = (await timeline(admin, "disputes", dispute))["events"]
    assert [e["what"] for e in events] == ["新建纠纷（风险等级：蓝色）", "删除了纠纷"]
    assert events[1]["role"] == "社区管理员"
