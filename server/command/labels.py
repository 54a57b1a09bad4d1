"""Chinese labels of the values the reports print (the PWA's ENUMS in pwa/src/ui/i18n.ts say
the same; reports go to Chinese offices, so they are Chinese only)."""

from __future__ import annotations

from typing import Any

SERVICE_TYPE = {
    "dispute": "纠纷化解",
    "legal": "公共法律",
    "psych": "社会心理",
    "complaint": "投诉建议",
    "assistance": "帮扶救助",
}
CHANNEL = {
    "door_to_door": "入户走访",
    "hall": "服务大厅",
    "station": "服务站点",
    "app": "线上",
    "hotline": "热线",
}
CATEGORY = {
    "neighbour": "邻里纠纷",
    "family": "婚姻家庭",
    "labour_wages": "劳资欠薪",
    "property_rental": "物业租赁",
    "land_demolition": "征地拆迁",
    "consumer": "消费纠纷",
    "traffic": "交通事故",
    "environment": "环境污染",
    "other": "其他",
}
LEVEL = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}
DISPUTE_STATUS = {
    "registered": "已登记",
    "mediating": "调解中",
    "escalated": "已上报",
    "resolved": "已化解",
    "closed": "已办结",
    "withdrawn": "已撤回",
}
ORDER_STATUS = {
    "issued": "已派单",
    "acknowledged": "已签收",
    "arrived": "已到场",
    "resolved": "已办结",
    "verified": "已验收",
    "reopened": "退回重办",
}
LEADER_LEVEL = {
    "staff": "工作人员",
    "section": "科级",
    "deputy_division": "副处级",
    "division": "处级",
    "deputy_bureau": "副局级",
    "bureau": "局级",
}
CHECKIN_STATUS = {"ok": "正常", "pending_verification": "待核实", "verified": "已核实"}
ESCALATION_LEVEL = {"community": "社区", "street": "街道", "district": "区"}
SATISFACTION = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}
WARNING_SOURCE = {
    "dispute": "纠纷",
    "psych": "心理",
    "dispatch_overdue": "派单超时",
    "manual": "人工",
}
WARNING_STATUS = {"open": "未关闭", "closed": "已关闭"}


def label(names: dict[str, str], value: Any) -> str:
    """The label of a value (the value itself when unknown, empty for none)."""
    if value is None or value == "":
        return ""
    return names.get(str(value), str(value))
