"""HTTP for push (SYNC_PROTOCOL.md "Push notifications"): the VAPID key and this device's
subscription. Thin: the service validates and owns the table.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from server.accounts.principal import Principal
from server.http.openapi import BEARER, PUBLIC, errors
from server.notify.schemas import SubscriptionIn, SubscriptionOut, VapidPublicKeyOut
from server.notify.services import SubscriptionService
from server.notify.vapid import application_server_key


def provide_subscription_service() -> SubscriptionService:
    return SubscriptionService()


class PushController(Controller):
    path = "/api/push"
    tags = ["push"]
    dependencies = {
        "subscriptions": Provide(provide_subscription_service, sync_to_thread=False),
    }

    @get("/vapid-public-key", sync_to_thread=False, security=PUBLIC)
    def vapid_public_key(self) -> VapidPublicKeyOut:
        """The `applicationServerKey` browsers subscribe with."""
        return VapidPublicKeyOut(public_key=application_server_key())

    @post(
        "/subscriptions",
        status_code=HTTP_201_CREATED,
        security=BEARER,
        responses=errors(400, 401, 413, 422),
    )
    async def subscribe(
        self,
        request: Request[Principal, Any, Any],
        data: JSONBody[SubscriptionIn],
        subscriptions: NamedDependency[SubscriptionService],
    ) -> SubscriptionOut:
        """Bind `PushSubscription.toJSON()` to the calling device, replacing its previous one."""
        principal = request.user
        sub = await subscriptions.subscribe(principal.user_id, principal.device_id, data)
        return SubscriptionOut(
            endpoint=sub.endpoint,
            device_id=str(sub.device_id),
            created_at=sub.created_at.isoformat().replace("+00:00", "Z"),
            expiration_time=(
                sub.expiration_time.isoformat().replace("+00:00", "Z")
                if sub.expiration_time is not None
                else None
            ),
        )

    @delete(
        "/subscriptions", status_code=HTTP_204_NO_CONTENT, security=BEARER, responses=errors(401)
    )
    async def unsubscribe(
        self,
        request: Request[Principal, Any, Any],
        subscriptions: NamedDependency[SubscriptionService],
    ) -> None:
        """Forget the calling device's subscription (idempotent)."""
        await subscriptions.unsubscribe(request.user.device_id)
