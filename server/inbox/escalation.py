"""Escalation on silence: a red warning or dispatch order whose push nobody of its recipients'
devices acknowledged in time goes by SMS (server/notify/sms.py holds the rows).

What counts as acknowledged, for one recipient: they opened the notice (the app marks the inbox
item read, and reports it at once when online: `POST /api/notify/acks`), they acknowledged the
warning in the app (their id in `acknowledged_by`), or, for an order, the department signed for
it (its status moved past `issued`). Run every minute by the scheduler, with `now` controllable.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from server.dispatch.tables import DispatchOrder
from server.inbox.tables import Notification
from server.notify.services import kick_sms
from server.notify.sms import held_until, release
from server.scheduling.runner import now_or
from server.warnings.tables import GradedWarning

log = logging.getLogger(__name__)


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def acknowledged(row: dict[str, Any]) -> bool:
    """Whether the SMS row's recipient acknowledged its notice in any of the ways above."""
    user = str(row["user_id"])
    nid = _uuid(row.get("notification_id"))
    if nid is not None:
        note = await Notification.select(Notification.read).where(Notification.id == nid).first()
        if note is not None and note["read"]:
            return True
    subject = _uuid(row.get("ack_id"))
    if subject is None:
        return False
    if row.get("ack_collection") == "warnings":
        warning = (
            await GradedWarning.select(GradedWarning.acknowledged_by)
            .where(GradedWarning.id == subject)
            .output(load_json=True)
            .first()
        )
        return warning is not None and user in (warning["acknowledged_by"] or [])
    if row.get("ack_collection") == "dispatch_orders":
        order = (
            await DispatchOrder.select(DispatchOrder.status)
            .where(DispatchOrder.id == subject)
            .first()
        )
        return order is not None and order["status"] not in (None, "issued")
    return False


async def sms_on_silence(now: datetime | None = None) -> int:
    """Release the held SMS whose silence ran out; returns how many became due."""
    moment = now_or(now)
    due = await release(await held_until(moment), moment, acknowledged)
    if due:
        kick_sms()
    return len(due)
