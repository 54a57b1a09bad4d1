"""The `sms` section of the command view's statistics (`GET /api/command/stats`): how many SMS
the window's units sent, and how close each unit is to today's cap.

    "sms": {"sent": 12, "failed": 1, "pending": 0, "held": 0, "cancelled": 30, "capped": 2,
            "red": 9, "order": 6, "daily_cap": 200,
            "today": [{"org_unit_id": "...", "used": 5, "capped": 0}]}

`cancelled` counts the SMS a push made unnecessary (acknowledged in time): the escalation on
silence at work. Counted in SQL over the outbox rows, both engines.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.command import sql
from server.command.sections import register_section
from server.command.window import StatsWindow
from server.notify.sms import COUNTED, beijing_day
from server.notify.tables import SmsStatus
from server.settings import get_settings

STATUSES = ("held", "pending", "sent", "failed", "cancelled", "capped")


async def sms_figures(w: StatsWindow, now: datetime | None = None) -> dict[str, Any]:
    where, args = sql.among("org_unit_id", w.units)
    rows = await sql.fetch(
        "SELECT status, level, COUNT(*) AS n FROM sms_deliveries"
        f" WHERE {where} AND created_at >= {{}} AND created_at < {{}} GROUP BY status, level",
        *args,
        w.start,
        w.end,
    )
    out: dict[str, Any] = dict.fromkeys(STATUSES, 0)
    out |= {"red": 0, "order": 0, "daily_cap": get_settings().sms_daily_cap}
    for row in rows:
        n = int(row["n"])
        out[str(row["status"])] = out.get(str(row["status"]), 0) + n
        if row["status"] in COUNTED:
            out[str(row["level"])] = out.get(str(row["level"]), 0) + n
    day = beijing_day(now or datetime.now().astimezone())
    counted = ", ".join("{}" for _ in COUNTED)
    today = await sql.fetch(
        "SELECT org_unit_id, status, COUNT(*) AS n FROM sms_deliveries"
        f" WHERE {where} AND day = {{}} AND status IN ({counted}, {{}})"
        " GROUP BY org_unit_id, status",
        *args,
        day,
        *COUNTED,
        SmsStatus.CAPPED,
    )
    units: dict[str, dict[str, Any]] = {}
    for row in today:
        unit = str(row["org_unit_id"])
        entry = units.setdefault(unit, {"org_unit_id": unit, "used": 0, "capped": 0})
        key = "capped" if row["status"] == SmsStatus.CAPPED else "used"
        entry[key] += int(row["n"])
    out["today"] = sorted(units.values(), key=lambda e: (-e["used"], e["org_unit_id"]))
    return out


async def _section(w: StatsWindow) -> dict[str, Any]:
    return await sms_figures(w)


register_section("sms", _section)
