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
    #: the inbox notification this push carries: a device that opens it acknowledges it, and a
    #: push that cannot be delivered releases the notice's held SMS at once
    notification_id = Varchar(length=36, null=True, default=None, index=True)
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


# --- SMS ----------------------------------------------------------------------------------------


class SmsStatus:
    #: waiting for the recipient to acknowledge the push (escalation on silence)
    HELD = "held"
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    #: acknowledged before the silence ran out: never sent
    CANCELLED = "cancelled"
    #: the org unit's daily SMS cap was reached and this was not a red warning: never sent
    CAPPED = "capped"


class StaffContact(Table, tablename="staff_contacts"):
    """How to reach a staff member outside the app, kept apart from the synced user directory
    (no device ever pulls a phone number): the work phone an admin set, whether its owner
    confirmed it, and the language notifications are rendered in."""

    user_id = UUID(unique=True)
    phone = Varchar(length=32, null=True, default=None, secret=True)
    phone_set_by = UUID(null=True, default=None)
    phone_set_at = Timestamptz(null=True, default=None)
    phone_confirmed_at = Timestamptz(null=True, default=None)
    #: "zh" or "en", set from the app's language switch
    language = Varchar(length=8, default="zh")
    updated_at = Timestamptz()


class SmsDelivery(Table, tablename="sms_deliveries"):
    """One SMS to one person: the outbox row of the SMS channel (claimed and settled like a
    push delivery). It holds no phone number and no text: both are read when it is sent, so a
    corrected number is used and the text is in the recipient's language of that moment."""

    id = BigSerial(primary_key=True)
    user_id = UUID(index=True)
    #: the recipient's org unit when the notice was written: the daily cap is counted per unit
    org_unit_id = UUID(null=True, default=None, index=True)
    notification_id = Varchar(length=36, null=True, default=None, index=True)
    #: what acknowledging means: the warning or dispatch order the notice is about
    ack_collection = Varchar(length=32, null=True, default=None)
    ack_id = Varchar(length=36, null=True, default=None)
    #: "red" (a red warning: goes even past the cap) or "order" (a dispatch order)
    level = Varchar(length=16)
    template = Varchar(length=64)
    #: template parameters: only the level and the short code, never personal data
    params = JSON()
    #: the short code that opens the record in the app (`#/c/<code>`), and where it leads
    code = Varchar(length=12, unique=True)
    url = Varchar(length=500, default="")
    #: sent to the gateway so a retried request is not delivered twice
    idempotency_key = UUID(unique=True)
    status = Varchar(length=16, default=SmsStatus.HELD, index=True)
    #: until when a held row waits for an acknowledgement (null once released)
    hold_until = Timestamptz(null=True, default=None, index=True)
    #: the Beijing day (YYYY-MM-DD) it counted against its unit's cap, set on release
    day = Varchar(length=10, null=True, default=None, index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    claim_token = UUID(null=True, default=None)
    claimed_until = Timestamptz(null=True, default=None)
    last_status_code = Integer(null=True, default=None)
    last_error = Varchar(length=200, null=True, default=None)
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    #: the platform's delivery receipt: the first one counts, a duplicate changes nothing
    receipt_status = Varchar(length=16, null=True, default=None)
    receipt_at = Timestamptz(null=True, default=None)


class SmsAttempt(Table, tablename="sms_delivery_attempts"):
    """Every request made to the SMS gateway for a delivery."""

    delivery = ForeignKey(
        references=SmsDelivery, on_delete=OnDelete.cascade, null=False, index=True
    )
    at = Timestamptz()
    status_code = Integer(null=True, default=None)
    error = Varchar(length=200, null=True, default=None)
    duration_ms = Integer(default=0)
    outcome = Varchar(length=16)
