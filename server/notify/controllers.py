"""HTTP for push (SYNC_PROTOCOL.md "Push notifications"): the VAPID key and this device's
subscription. Thin: the service validates and owns the table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

import server.notify.contacts as contacts
import server.notify.sms as sms
from server import permissions
from server.accounts.principal import Principal
from server.accounts.tables import User
from server.http.errors import ApiError
from server.http.openapi import BEARER, PUBLIC, errors
from server.notify.channels import SIGNATURE_HEADER, signature_ok
from server.notify.delivery import utcnow
from server.notify.schemas import (
    AckIn,
    AckOut,
    CodeOut,
    ConfirmPhoneIn,
    ContactOut,
    LanguageIn,
    PhoneIn,
    ReachabilityOut,
    ReceiptIn,
    ReceiptOut,
    SubscriptionIn,
    SubscriptionOut,
    VapidPublicKeyOut,
)
from server.notify.services import SubscriptionService
from server.notify.vapid import application_server_key
from server.org.tree import load_tree
from server.settings import get_settings


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


class NotifyController(Controller):
    """The caller's own contact settings, opening a notice, SMS short codes, and the SMS
    platform's delivery receipts (issue 14)."""

    path = "/api/notify"
    tags = ["notify"]

    @get("/me", security=BEARER, responses=errors(401))
    async def me(self, request: Request[Principal, Any, Any]) -> ContactOut:
        """This user's language, masked work phone, whether they confirmed it, push devices."""
        return ContactOut(**await contacts.contact_view(request.user.user_id))

    @put("/me/language", security=BEARER, responses=errors(400, 401, 413, 422))
    async def language(
        self, request: Request[Principal, Any, Any], data: JSONBody[LanguageIn]
    ) -> ContactOut:
        """The app's language switch: pushes and SMS are rendered in it from now on."""
        return ContactOut(**await contacts.set_language(request.user.user_id, data.language))

    @post(
        "/me/phone/confirm",
        status_code=HTTP_200_OK,
        security=BEARER,
        responses=errors(400, 401, 409, 413, 422),
    )
    async def confirm_phone(
        self, request: Request[Principal, Any, Any], data: JSONBody[ConfirmPhoneIn]
    ) -> ContactOut:
        """The owner confirms the work phone an admin set by typing it again."""
        return ContactOut(**await contacts.confirm_phone(request.user.user_id, data.phone))

    @post("/acks", status_code=HTTP_200_OK, security=BEARER, responses=errors(400, 401, 413, 422))
    async def ack(self, request: Request[Principal, Any, Any], data: JSONBody[AckIn]) -> AckOut:
        """The user opened this notice: its SMS, still held, is not needed (only the caller's
        own notices; anyone else's id changes nothing)."""
        try:
            UUID(data.notification_id)
        except ValueError as exc:
            raise ApiError(
                422, "validation", "notification_id is not a UUID", {"field": "notification_id"}
            ) from exc
        n = await sms.cancel_for_ack(request.user.user_id, data.notification_id, utcnow())
        return AckOut(notification_id=data.notification_id, sms_cancelled=n)

    @get("/codes/{code:str}", security=BEARER, responses=errors(401, 404))
    async def code(self, request: Request[Principal, Any, Any], code: FromPath[str]) -> CodeOut:
        """Where the short code of an SMS sent to the caller leads (404 for anyone else's)."""
        # a code is a few ASCII letters and digits; anything else (a NUL, say) matches nothing
        plausible = len(code) <= 12 and code.isascii() and code.isalnum()
        url = await sms.code_target(code, request.user.user_id) if plausible else None
        if url is None:
            raise ApiError(404, "not_found", "no such code")
        return CodeOut(code=code.upper(), url=url)

    @post(
        "/sms/receipts",
        status_code=HTTP_200_OK,
        security=PUBLIC,
        responses=errors(400, 401, 404, 413, 422),
    )
    async def receipt(self, request: Request[Any, Any, Any]) -> ReceiptOut:
        """A delivery receipt from the SMS platform, signed with DOORSTEP_SMS_KEY. A duplicate
        is answered 200 with `recorded: false` and changes nothing."""
        key = get_settings().sms_key
        body = await request.body()
        if not key or not signature_ok(key, body, request.headers.get(SIGNATURE_HEADER)):
            raise ApiError(401, "invalid_signature", "the receipt's signature does not match")
        try:
            receipt = msgspec.json.decode(body, type=ReceiptIn)
            idempotency_key = UUID(receipt.idempotency_key)
            at = (
                datetime.fromisoformat(receipt.at.replace("Z", "+00:00"))
                if receipt.at
                else utcnow()
            )
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
            raise ApiError(422, "validation", f"not a delivery receipt: {exc}") from exc
        if receipt.status not in sms.RECEIPT_STATUSES:
            raise ApiError(
                422,
                "validation",
                f"status is one of {', '.join(sms.RECEIPT_STATUSES)}",
                {"field": "status"},
            )
        if at.tzinfo is None:
            raise ApiError(422, "validation", "at needs a time zone", {"field": "at"})
        recorded = await sms.record_receipt(idempotency_key, receipt.status, at)
        if recorded is None:
            raise ApiError(404, "not_found", "no message with this idempotency_key")
        return ReceiptOut(idempotency_key=str(idempotency_key), recorded=recorded)


class ReachabilityController(Controller):
    """Admins: who can be reached by which channel, and setting staff work phones."""

    path = "/api/admin"
    tags = ["administration"]
    security = BEARER

    @put("/users/{user_id:uuid}/phone", responses=errors(400, 401, 403, 404, 413, 422))
    async def set_phone(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[UUID],
        data: JSONBody[PhoneIn],
    ) -> ContactOut:
        """Set (or clear, with null) a staff member's work phone; its owner confirms it."""
        await _managed(request.user, user_id)
        return ContactOut(**await contacts.set_phone(user_id, data.phone, request.user.user_id))

    @get("/reachability", responses=errors(401, 403))
    async def reachability(self, request: Request[Principal, Any, Any]) -> list[ReachabilityOut]:
        """Per user in the admin's subtree: which channels work, so a hall knows before an
        emergency who would not be reached."""
        p = request.user
        if p.role not in permissions.ADMIN_ROLES:
            raise ApiError(403, "forbidden", "only admins see reachability")
        tree = await load_tree()
        users = [
            u
            for u in await User.select(
                User.id, User.username, User.display_name, User.role, User.org_unit_id
            ).where(User.active.eq(True), User.deleted.eq(False))
            if permissions.may_manage_user(p, tree, u["org_unit_id"], None) is None
        ]
        reach = await contacts.reachability([u["id"] for u in users])
        return [_reach_out(u, reach[u["id"]]) for u in sorted(users, key=lambda u: u["username"])]


def _reach_out(user: dict[str, Any], r: contacts.Reach) -> ReachabilityOut:
    push = "ok" if r.last_push_success_at else ("untested" if r.push_devices else "none")
    if not r.phone:
        sms_state = "none"
    elif r.last_sms_failed_at and (
        r.last_sms_receipt_at is None or r.last_sms_failed_at > r.last_sms_receipt_at
    ):
        sms_state = "failed"
    else:
        sms_state = "ok" if r.last_sms_receipt_at else "untested"
    return ReachabilityOut(
        user_id=str(user["id"]),
        username=user["username"],
        display_name=user["display_name"],
        role=user["role"],
        org_unit_id=str(user["org_unit_id"]) if user["org_unit_id"] else None,
        push_devices=r.push_devices,
        last_push_success_at=contacts.iso(r.last_push_success_at),
        phone=contacts.mask(r.phone),
        phone_confirmed=r.phone_confirmed,
        last_sms_receipt_at=contacts.iso(r.last_sms_receipt_at),
        push=push,
        sms=sms_state,
        reachable=push == "ok" or sms_state in ("ok", "untested"),
    )


async def _managed(p: Principal, user_id: UUID) -> None:
    if p.role not in permissions.ADMIN_ROLES:
        raise ApiError(403, "forbidden", "only admins set staff phones")
    tree = await load_tree()
    row = await User.select(User.org_unit_id).where(User.id == user_id).first()
    # Outside one's scope looks the same as absent: no probing for accounts.
    if row is None or permissions.may_manage_user(p, tree, row["org_unit_id"], None):
        raise ApiError(404, "not_found", "no such user")
