"""What an applied dispute change sets off: a dispute raised to orange or red raises a graded
warning for its community (routed by level in server/warnings/)."""

from __future__ import annotations

from server.geo.privacy import party_names, safe_title
from server.replication.reactions import Reactor
from server.warnings.routing import LEVEL_NAMES, LEVELS
from server.warnings.rules import raise_warning, raised_to
from sync.model import Applied

WARNING_LEVELS = ("orange", "red")


async def warn_on_risk(reactor: Reactor, item: Applied) -> list[Applied]:
    level = raised_to(item, "risk_level", WARNING_LEVELS, LEVELS)
    if level is None:
        return []
    record = item.after
    # a warning reaches every device of the scope, supervisors' too: the title as the map shows
    # it, without phone or ID numbers or the parties' full names
    title = safe_title(record.fields.get("title"), party_names(record.fields.get("parties")))
    return raise_warning(
        reactor,
        level=level,
        source="dispute",
        subject=record,
        org_unit_id=record.fields.get("community_id"),
        message=f"纠纷风险等级升为{LEVEL_NAMES[level]}：{title}",
    )
