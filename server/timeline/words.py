"""The words of the case history, Chinese first and English second (by Accept-Language).

Labels for collections, fields, values and roles; an unknown name is shown as it is rather
than hidden, so a new collection or field still reads, if less nicely, until it gets words.
"""

from __future__ import annotations

from typing import Any

Lang = str  # "zh" or "en"

COLLECTIONS: dict[str, tuple[str, str]] = {
    "disputes": ("纠纷", "dispute"),
    "visits": ("走访记录", "visit"),
    "dispatch_orders": ("派单", "dispatch order"),
    "warnings": ("预警", "warning"),
    "consultations": ("法律咨询", "consultation"),
    "psych_sessions": ("心理咨询", "psych session"),
    "psych_slots": ("咨询时段", "psych slot"),
    "conflicts": ("编辑冲突", "edit conflict"),
    "agreements": ("调解协议", "mediation agreement"),
    "reports": ("线索", "report"),
}

FIELDS: dict[str, tuple[str, str]] = {
    "status": ("状态", "status"),
    "risk_level": ("风险等级", "risk level"),
    "level": ("等级", "level"),
    "title": ("标题", "title"),
    "description": ("描述", "description"),
    "parties": ("当事人", "parties"),
    "location": ("位置", "location"),
    "address": ("地址", "address"),
    "photos": ("照片", "photos"),
    "tags": ("标签", "tags"),
    "assignee_id": ("承办人", "assignee"),
    "grid_id": ("网格", "grid"),
    "category": ("类别", "category"),
    "service_type": ("诉求类型", "service type"),
    "follow_up_at": ("回访时间", "follow-up time"),
    "resolution_summary": ("办结摘要", "resolution summary"),
    "satisfaction": ("满意度", "satisfaction"),
    "summary": ("派单内容", "summary"),
    "arrive_by": ("到场时限", "arrive-by deadline"),
    "resolve_by": ("办结时限", "resolve-by deadline"),
    "arrival": ("到场签到", "check-in"),
    "resolution_note": ("办理说明", "resolution note"),
    "overdue": ("超时", "overdue"),
    "escalation_level": ("督办层级", "escalation level"),
    "checkin_status": ("签到核实", "check-in verification"),
    "community_rating": ("社区评价", "community rating"),
    "department_rating": ("部门评价", "department rating"),
    "required_leader_level": ("要求领导级别", "required leader level"),
    "acknowledged_by": ("确认", "acknowledgements"),
    "notes": ("记录", "notes"),
    "outcome": ("结果", "outcome"),
    "kind": ("方式", "kind"),
    "visited_at": ("走访时间", "visit time"),
    "last_chased_at": ("催办", "chase"),
}

VALUES: dict[str, tuple[str, str]] = {
    # dispute states
    "registered": ("已登记", "registered"),
    "mediating": ("调解中", "mediating"),
    "escalated": ("已上报", "escalated"),
    "resolved": ("已办结", "resolved"),
    "closed": ("已关闭", "closed"),
    "withdrawn": ("已撤回", "withdrawn"),
    # order states
    "issued": ("已派单", "issued"),
    "acknowledged": ("已签收", "acknowledged"),
    "arrived": ("已到场", "arrived"),
    "reopened": ("重新办理", "reopened"),
    "verified": ("已核实", "verified"),
    # psych session states
    "requested": ("已申请", "requested"),
    "scheduled": ("已预约", "scheduled"),
    "completed": ("已完成", "completed"),
    "cancelled": ("已取消", "cancelled"),
    "no_show": ("未到", "no show"),
    # warnings and conflicts
    "open": ("未关闭", "open"),
    # levels
    "blue": ("蓝色", "blue"),
    "yellow": ("黄色", "yellow"),
    "orange": ("橙色", "orange"),
    "red": ("红色", "red"),
    # escalation
    "community": ("社区", "community"),
    "street": ("街道", "street"),
    "district": ("区", "district"),
    # check-ins
    "ok": ("正常", "ok"),
    "pending_verification": ("待核实", "pending verification"),
    # satisfaction
    "satisfied": ("满意", "satisfied"),
    "basically_satisfied": ("基本满意", "basically satisfied"),
    "unsatisfied": ("不满意", "unsatisfied"),
    "true": ("是", "yes"),
    "false": ("否", "no"),
}

ROLES: dict[str, tuple[str, str]] = {
    "grid_worker": ("网格员", "grid worker"),
    "lawyer": ("驻社区律师", "community lawyer"),
    "psychologist": ("心理咨询师", "psychologist"),
    "department_officer": ("职能部门", "department officer"),
    "community_admin": ("社区管理员", "community admin"),
    "street_admin": ("街道管理员", "street admin"),
    "district_admin": ("区级管理员", "district admin"),
    "volunteer": ("平安志愿者", "volunteer"),
    "server": ("系统", "system"),
}

SYSTEM = ("系统", "system")
SOMEONE = ("已删除的用户", "a removed user")


def pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[1] if lang == "en" else pair[0]


def word(table: dict[str, tuple[str, str]], key: str, lang: Lang) -> str:
    pair = table.get(key)
    return pick(pair, lang) if pair else key


def value_label(value: Any, lang: Lang) -> str | None:
    """A state, level or flag as people say it; None for no value."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = "true" if value else "false"
    return word(VALUES, str(value), lang)


def language(accept: str | None) -> Lang:
    """ "en" when the request's Accept-Language prefers English over Chinese, else "zh"."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("en", "zh") and q > 0 and (best is None or (q, -position) > best[:2]):
            best = (q, -position, primary)
    return "en" if best is not None and best[2] == "en" else "zh"
