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
