"""Push subscriptions, the push delivery outbox and the log of every delivery attempt.

The outbox holds one `PushDelivery` row per (notification, device): the row is written in the
same transaction as the change that caused the notification, and it is the durable queue — a
Celery message or a wake-up of the embedded deliverer only says "look at these rows now".
Rows name the device, not the subscription, so a device that re-subscribes between the event and
the delivery still gets the message at its new endpoint.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    BigSerial,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class DeliveryStatus:
    PENDING = "pending"
    SENT = "sent"
    #: permanent failure: a configuration error (400/401/403/413), attempts exhausted, expired
    FAILED = "failed"
    #: the push service said the subscription is gone (404/410), or the device unsubscribed
    GONE = "gone"


class PushSubscription(Table, tablename="push_subscriptions"):
    """The browser's PushSubscription of one device (one per device, replaced on re-subscribe)."""

    device_id = UUID(unique=True)
    user_id = UUID(index=True)
    endpoint = Varchar(length=2048, index=True)
    #: base64url of the browser's P-256 public key (65 bytes uncompressed)
    p256dh = Varchar(length=128)
    #: base64url of the 16-byte auth secret
    auth = Varchar(length=64)
    expiration_time = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    last_success_at = Timestamptz(null=True, default=None)


class PushDelivery(Table, tablename="push_deliveries"):
    """One push message for one device: the outbox row a delivery task claims and settles."""

    id = BigSerial(primary_key=True)
    user_id = UUID(index=True)
    device_id = UUID(index=True)
    #: {"type", "title", "body", "url", "id"}, at most 3 KB encoded, never personal data
    payload = JSON()
    #: seconds the push service may hold the message, counted from `created_at` (never 0)
    ttl = Integer()
    urgency = Varchar(length=16, default="normal")
    #: RFC 8030 Topic: a newer message with the same topic replaces an undelivered older one
    topic = Varchar(length=32, null=True, default=None)
    status = Varchar(length=16, default=DeliveryStatus.PENDING, index=True)
    #: attempts claimed so far (incremented when a deliverer claims the row)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    #: the deliverer that holds the row, and until when; a lapsed lease may be claimed again
    claim_token = UUID(null=True, default=None)
    claimed_until = Timestamptz(null=True, default=None)
    last_status_code = Integer(null=True, default=None)
    last_error = Varchar(length=200, null=True, default=None)
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class DeliveryAttempt(Table, tablename="push_delivery_attempts"):
    """Every request made for a delivery (or the reason none was made)."""

    delivery = ForeignKey(
        references=PushDelivery, on_delete=OnDelete.cascade, null=False, index=True
    )
    at = Timestamptz()
    #: the push service's HTTP status, or null when the request did not complete
    status_code = Integer(null=True, default=None)
    #: "network: ...", "config: 413", "rate_limited", ... ; null for a plain success
    error = Varchar(length=200, null=True, default=None)
    duration_ms = Integer(default=0)
    outcome = Varchar(length=16)
