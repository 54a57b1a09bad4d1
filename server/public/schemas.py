"""msgspec Structs at the HTTP edge of the residents' door (COMMAND_API.md "Residents' door")."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.notify.schemas import SubscriptionIn

SERVICE_TYPES = ("dispute", "legal", "psych", "complaint", "assistance")
SATISFACTION = ("satisfied", "basically_satisfied", "unsatisfied")

Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
Phone = Annotated[str, msgspec.Meta(max_length=20, pattern=r"^\+?[0-9][0-9 -]{4,19}$")]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class GeoIn(msgspec.Struct, forbid_unknown_fields=True):
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lng: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    accuracy_m: Annotated[float, msgspec.Meta(ge=0, le=100_000)] | None = None


class AppealIn(msgspec.Struct, forbid_unknown_fields=True):
    """A resident's appeal.  `station_code` names the station whose QR code opened the form
    (channel `station`); a resident in the app without a QR code names a station or their
    community (`community_code`) and sends `source: "app"` (channel `app`)."""

    service_type: Literal["dispute", "legal", "psych", "complaint", "assistance"]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    description: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    station_code: Code | None = None
    community_code: Code | None = None
    source: Literal["qr", "app"] = "qr"
    contact_phone: Phone | None = None
    location: GeoIn | None = None
    photos: Annotated[list[Sha256], msgspec.Meta(max_length=6)] = []
    #: the PWA outbox's id for this appeal: a resend after a lost answer gets the same answer
    client_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-fA-F-]{32,36}$")] | None = None
    #: the honeypot: a field people never see and bots fill in
    website: Annotated[str, msgspec.Meta(max_length=500)] = ""


class AppealCreated(msgspec.Struct):
    tracking_code: str
    #: the API's status address (GET it for the JSON status)
    status_url: str
    #: the tracking page a person opens
    page_url: str


class TimelineEntry(msgspec.Struct):
    at: str
    what: str
    #: the event's name (received, accepted, ..., reopened), for clients that show their own words
    code: str


class AppealStatus(msgspec.Struct):
    status: str
    service_type: str
    received_at: str
    timeline: list[TimelineEntry]
    can_rate: bool
    #: pending, accepted, merged, rejected: the hall's triage
    triage: str
    satisfaction: str | None = None
    reject_reason: str | None = None


class RatingIn(msgspec.Struct, forbid_unknown_fields=True):
    satisfaction: Literal["satisfied", "basically_satisfied", "unsatisfied"]
    comment: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class RatingOut(msgspec.Struct):
    satisfaction: str
    status: str


#: the browser's `PushSubscription.toJSON()`, as for staff devices
PushIn = SubscriptionIn


class PushOut(msgspec.Struct):
    subscribed: bool


# -- triage (hall staff) ----------------------------------------------------------------------
class TriageItem(msgspec.Struct):
    appeal_id: str
    dispute_id: str
    community_id: str
    station_id: str | None
    channel: str
    service_type: str
    title: str
    description: str
    has_phone: bool
    photos: list[str]
    received_at: str
    triage: str
    status: str
    satisfaction: str | None


class AcceptIn(msgspec.Struct, forbid_unknown_fields=True):
    grid_id: str
    service_type: Literal["dispute", "legal", "psych", "complaint", "assistance"]
    category: str | None = None


class MergeIn(msgspec.Struct, forbid_unknown_fields=True):
    dispute_id: str


class RejectIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=2, max_length=200)]


class TriageOut(msgspec.Struct):
    appeal_id: str
    triage: str
    dispute_id: str
