"""msgspec Structs at the HTTP edge of push: what the browser sends, what we answer."""

from __future__ import annotations

from typing import Annotated

import msgspec

Base64Url = Annotated[
    str, msgspec.Meta(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+=*$")
]


#: 2100-01-01 in epoch milliseconds: a later expiry is nonsense, and 1e17 overflows a datetime
EXPIRATION_LIMIT_MS = 4_102_444_800_000


class SubscriptionKeys(msgspec.Struct):
    p256dh: Base64Url
    auth: Base64Url


class SubscriptionIn(msgspec.Struct):
    """`PushSubscription.toJSON()` as the browser sends it."""

    endpoint: Annotated[str, msgspec.Meta(min_length=8, max_length=2048)]
    keys: SubscriptionKeys
    #: milliseconds since the epoch, or null (most browsers)
    expirationTime: Annotated[float, msgspec.Meta(ge=0, le=EXPIRATION_LIMIT_MS)] | None = None


class SubscriptionOut(msgspec.Struct):
    endpoint: str
    device_id: str
    created_at: str
    expiration_time: str | None = None


class VapidPublicKeyOut(msgspec.Struct):
    #: base64url of the uncompressed P-256 point: pass to `pushManager.subscribe` as-is
    public_key: str


# --- SMS, contacts, reachability ----------------------------------------------------------------

Phone = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class LanguageIn(msgspec.Struct, forbid_unknown_fields=True):
    #: "zh" or "en": the app's language switch
    language: Annotated[str, msgspec.Meta(max_length=8)]


class PhoneIn(msgspec.Struct, forbid_unknown_fields=True):
    #: null clears the number (admins only)
    phone: Phone | None


class ConfirmPhoneIn(msgspec.Struct, forbid_unknown_fields=True):
    phone: Phone


class AckIn(msgspec.Struct, forbid_unknown_fields=True):
    notification_id: Annotated[str, msgspec.Meta(min_length=36, max_length=36)]


class ContactOut(msgspec.Struct):
    language: str
    #: the last four digits, the rest masked
    phone: str | None
    phone_confirmed: bool
    push_devices: int


class AckOut(msgspec.Struct):
    notification_id: str
    sms_cancelled: int


class CodeOut(msgspec.Struct):
    code: str
    url: str


class ReceiptIn(msgspec.Struct):
    """The SMS platform's delivery receipt, posted to `/api/notify/sms/receipts` and signed
    like our requests (`X-Doorstep-Signature: sha256=<hex HMAC of the body>`)."""

    idempotency_key: Annotated[str, msgspec.Meta(min_length=36, max_length=36)]
    status: Annotated[str, msgspec.Meta(max_length=16)]
    at: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class ReceiptOut(msgspec.Struct):
    idempotency_key: str
    #: false for a duplicate: the first receipt stands and nothing changed
    recorded: bool


class ReachabilityOut(msgspec.Struct):
    user_id: str
    username: str
    display_name: str
    role: str
    org_unit_id: str | None
    push_devices: int
    last_push_success_at: str | None
    phone: str | None
    phone_confirmed: bool
    last_sms_receipt_at: str | None
    #: "ok" (worked lately), "untested" (set up, nothing delivered yet), "failed", "none"
    push: str
    sms: str
    #: false: a red warning would not reach this person by any channel known to work
    reachable: bool
