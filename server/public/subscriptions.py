"""A resident's browser subscribes to an appeal's progress (no account).

Checked exactly as a staff device's subscription (server/notify/services.py): a P-256 key, and
an endpoint that is https on a public address (no SSRF), re-checked by the sender on every
connection.  Stored as the subscription of a stand-in device (server/public/residents.py), so
the notify domain's outbox and deliverer send it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.notify.delivery import transaction
from server.notify.services import _check_keys, validate_endpoint
from server.notify.tables import PushSubscription
from server.public.residents import browser_of, resident_of
from server.public.schemas import PushIn

#: browsers per appeal: a resident's phone and a relative's, not a fan-out list
MAX_BROWSERS = 5


async def subscribe(appeal: dict[str, Any], data: PushIn) -> None:
    _check_keys(data.keys.p256dh, data.keys.auth)
    await validate_endpoint(data.endpoint)
    appeal_id = appeal["id"]
    device = browser_of(appeal_id, data.endpoint)
    expires = (
        datetime.fromtimestamp(data.expirationTime / 1000, tz=UTC)
        if data.expirationTime is not None
        else None
    )
    async with transaction():
        await PushSubscription.delete().where(PushSubscription.device_id == device)
        others = (
            await PushSubscription.select(PushSubscription.device_id)
            .where(PushSubscription.user_id == resident_of(appeal_id))
            .order_by(PushSubscription.created_at)
        )
        # The oldest go first beyond the limit: a code shared around cannot build a fan-out list.
        stale = [row["device_id"] for row in others][: max(0, len(others) - MAX_BROWSERS + 1)]
        if stale:
            await PushSubscription.delete().where(PushSubscription.device_id.is_in(stale))
        await PushSubscription.insert(
            PushSubscription(
                device_id=device,
                user_id=resident_of(appeal_id),
                endpoint=data.endpoint,
                p256dh=data.keys.p256dh.rstrip("="),
                auth=data.keys.auth.rstrip("="),
                expiration_time=expires,
                created_at=datetime.now(UTC),
            )
        )
