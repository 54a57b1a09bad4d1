"""What residents are told: the public timeline of an appeal and the Web Push to browsers that
subscribed to it.

A resident has no account, so a browser subscribed to an appeal is stored as a push subscription
of a stand-in "device" (one per appeal and browser) whose user is a stand-in for the appeal:
the notify domain's outbox, delivery, retries and SSRF checks then work for residents exactly as
for staff, and a status change reaches every browser that follows the appeal.  Payloads say only
which step was reached, never what the appeal is about.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

from server.notify.services import enqueue_push, make_topic
from server.public.tables import PublicAppealEvent

RESIDENT_NAMESPACE = uuid.UUID("7c4e2a10-5b3f-4d6e-9a8b-1c2d3e4f5a6b")

#: the timeline in the resident's words (zh-CN first); `{detail}` is the event's detail
WORDS: dict[str, str] = {
    "received": "诉求已提交，等待社区诉求服务大厅分拣",
    "accepted": "社区已受理，按{detail}类诉求办理",
    "merged": "与同一事项合并办理",
    "rejected": "未予受理：{detail}",
    "registered": "已登记",
    "mediating": "正在办理（由{role}负责）",
    "escalated": "已提交上级协调办理",
    "resolved": "已办结，请您评价办理结果",
    "closed": "已结案",
    "withdrawn": "已撤回",
    "rated": "您的评价：{detail}",
    "reopened": "您对办理结果不满意，已重新办理",
}
ROLE_WORDS = {
    "grid_worker": "网格员",
    "lawyer": "驻社区律师",
    "psychologist": "心理咨询师",
    "community_admin": "社区诉求服务大厅",
    "department_officer": "职能部门",
    "street_admin": "街道",
    "district_admin": "区",
}
SATISFACTION_WORDS = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
}
SERVICE_WORDS = {
    "dispute": "纠纷化解",
    "legal": "公共法律",
    "psych": "社会心理",
    "complaint": "投诉建议",
    "assistance": "帮扶救助",
}


def in_words(what: str, role: str | None, detail: str | None) -> str:
    text = WORDS.get(what, what)
    shown = detail or ""
    if what == "rated":
        shown = SATISFACTION_WORDS.get(shown, shown)
    elif what == "accepted":
        shown = SERVICE_WORDS.get(shown, shown)
    return text.format(role=ROLE_WORDS.get(role or "", "社区工作人员"), detail=shown)


def resident_of(appeal_id: UUID) -> UUID:
    """The stand-in user whose "devices" are the browsers following this appeal."""
    return uuid.uuid5(RESIDENT_NAMESPACE, f"appeal/{appeal_id}")


def browser_of(appeal_id: UUID, endpoint: str) -> UUID:
    """The stand-in device of one browser following one appeal (re-subscribing replaces it)."""
    return uuid.uuid5(RESIDENT_NAMESPACE, f"browser/{appeal_id}/{endpoint}")


async def record(
    appeal_ids: Iterable[UUID],
    what: str,
    *,
    role: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> list[int]:
    """Add a step to these appeals' timelines and queue the push to their browsers, inside the
    caller's transaction; returns the push deliveries to kick after commit."""
    ids = list(appeal_ids)
    if not ids:
        return []
    moment = at or datetime.now(UTC)
    await PublicAppealEvent.insert(
        *[
            PublicAppealEvent(appeal_id=a, at=moment, what=what, role=role, detail=detail)
            for a in ids
        ]
    )
    deliveries: list[int] = []
    for appeal_id in ids:
        deliveries += await enqueue_push(
            [resident_of(appeal_id)],
            {
                "type": "appeal_status",
                "title": "您的诉求有新进展",
                "body": "未予受理，请打开查看原因"
                if what == "rejected"
                else in_words(what, role, detail),
                "url": "#/public/track",
                "id": str(uuid.uuid5(RESIDENT_NAMESPACE, f"{appeal_id}/{what}/{moment}")),
            },
            ttl=7 * 24 * 3600,
            topic=make_topic("appeal", appeal_id),
        )
    return deliveries
