"""Helpers of the notify tests: subscribe like a browser, enqueue like a domain service, wait."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

from tests.server.notify.pushservice import PushService, Subscriber


async def subscribe(service: PushService, user_id: UUID | None = None) -> tuple[UUID, Subscriber]:
    """A device of `user_id` subscribes through the service (as the controller would)."""
    import msgspec

    from server.notify.schemas import SubscriptionIn
    from server.notify.services import SubscriptionService

    user_id = user_id or uuid4()
    sub = service.subscribe()
    body = msgspec.convert(sub.subscription_json(), SubscriptionIn)
    await SubscriptionService().subscribe(user_id, uuid4(), body)
    return user_id, sub


def payload(n: int | str = 1, **over: str) -> dict[str, str]:
    base = {
        "type": "warning",
        "title": "红色预警 Red warning",
        "body": "A dispute needs attention",
        "url": f"/#/warnings/{n}",
        "id": str(n),
    }
    base.update(over)
    return base


async def enqueue(user_ids: list[UUID], body: dict[str, str] | None = None, **kw: Any) -> list[int]:
    """Write deliveries as a domain service would: inside a transaction, then kick."""
    from server.notify.delivery import transaction
    from server.notify.services import enqueue_push, kick_async

    kw.setdefault("ttl", 3600)
    async with transaction():
        ids = await enqueue_push(user_ids, body or payload(), **kw)
    await kick_async(ids)
    return ids


async def eventually(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool],
    within: float = 20.0,
    what: str = "condition",
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def statuses(ids: list[int]) -> dict[int, str]:
    from server.notify.tables import PushDelivery as D

    rows = await D.select(D.id, D.status).where(D.id.is_in(ids))
    return {int(r["id"]): r["status"] for r in rows}


async def settled(ids: list[int]) -> bool:
    return all(s != "pending" for s in (await statuses(ids)).values())
