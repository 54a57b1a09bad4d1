"""What an applied dispatch order change sets off: a new order alerts the department, a status
change tells the other side, and a check-in by a leader below the required level is reported to
the community."""

from __future__ import annotations

from typing import Any

from server.dispatch.schema import LEADER_LEVELS
from server.inbox.notices import Notice, notify, seconds_until
from server.inbox.recipients import people_of
from server.permissions import as_uuid
from server.replication.reactions import Reactor
from sync.model import Applied

ORDER_STATUS_NAMES = {
    "acknowledged": "已签收",
    "arrived": "已到场",
    "resolved": "已办结",
    "verified": "已核验",
    "reopened": "被退回重办",
}


async def notify_order_change(reactor: Reactor, item: Applied) -> list[Applied]:
    order = item.after
    fields = order.fields
    people = await people_of(reactor)
    department = people.with_role("department_officer", as_uuid(fields.get("department_id")))
    community = people.with_role("community_admin", as_uuid(fields.get("community_id")))
    url = f"#/orders/{order.id}"
    if item.created:
        notify(
            reactor,
            Notice(
                users=frozenset(department),
                type="dispatch_order",
                template="order_issued",
                params={
                    "arrive_time": str(fields.get("arrive_by") or ""),
                    "resolve_time": str(fields.get("resolve_by") or ""),
                },
                url=url,
                subject=f"order/{order.id}/issued",
                urgency="high",
                ttl=seconds_until(fields.get("arrive_by"), reactor.now_ms),
                topic=f"order/{order.id}",
                # an order nobody signs for goes by SMS (issue 14)
                sms="order",
                ack=("dispatch_orders", order.id),
            ),
        )
        return []
    if "status" in item.changes:
        status = str(fields.get("status"))
        to_department = status in ("verified", "reopened")
        notify(
            reactor,
            Notice(
                users=frozenset(department if to_department else community),
                type="dispatch_order",
                template="order_status",
                params={"status": status},
                url=url,
                subject=f"order/{order.id}/v{order.version}",
                urgency="high" if status == "reopened" else "normal",
                ttl=seconds_until(fields.get("resolve_by"), reactor.now_ms),
                topic=f"order/{order.id}",
            ),
        )
    if "arrival" in item.changes and leader_below_required(fields):
        notify(
            reactor,
            Notice(
                users=frozenset(community),
                type="dispatch_order",
                template="order_leader_below",
                url=url,
                subject=f"order/{order.id}/leader/v{order.version}",
                urgency="high",
            ),
        )
    return []


def leader_below_required(fields: dict[str, Any]) -> bool:
    arrival = fields.get("arrival") or {}
    came, needed = arrival.get("leader_level"), fields.get("required_leader_level")
    levels = LEADER_LEVELS.split()
    if came not in levels or needed not in levels:
        return False
    return levels.index(came) < levels.index(needed)
