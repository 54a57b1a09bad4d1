"""The residents' door's own tables.  An appeal's content lives in the dispute it becomes (a
synced record like any other); these rows hold only what the public side needs: the hashed
tracking code, where the appeal came from, its triage, its rating and its public timeline."""

from __future__ import annotations

from piccolo.columns import UUID, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class PublicAppeal(Table, tablename="public_appeals"):
    """One resident's appeal.  `dispute_id` is the dispute it follows now (the one it was merged
    into, after a merge); `original_dispute_id` the dispute it became when it arrived."""

    id = UUID(primary_key=True)
    #: HMAC-SHA256 of the tracking code under the server's secret: a leaked table gives no codes
    code_hash = Varchar(length=64, unique=True)
    dispute_id = UUID(index=True)
    original_dispute_id = UUID(index=True)
    community_id = UUID(index=True)
    station_id = UUID(null=True, default=None)
    channel = Varchar(length=16)
    service_type = Varchar(length=16)
    #: pending → accepted | merged | rejected (the hall's triage)
    triage = Varchar(length=16, default="pending", index=True)
    #: the reason the resident reads when the hall rejects the appeal
    reject_reason = Varchar(length=200, null=True, default=None)
    satisfaction = Varchar(length=32, null=True, default=None)
    rating_comment = Text(null=True, default=None)
    rated_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(index=True)


class PublicAppealEvent(Table, tablename="public_appeal_events"):
    """The public timeline: what happened, in the words the resident reads (no staff names)."""

    appeal_id = UUID(index=True)
    at = Timestamptz()
    #: received, accepted, merged, rejected, mediating, escalated, resolved, closed, withdrawn,
    #: rated, reopened
    what = Varchar(length=32)
    #: the role that acted (community_admin, ...), never a name
    role = Varchar(length=32, null=True, default=None)
    #: the rejection reason, the service type, the satisfaction: never personal data
    detail = Varchar(length=200, null=True, default=None)


class PublicThrottle(Table, tablename="public_throttle"):
    """Fixed-window counters of the public endpoints, per client address and per station."""

    key = Varchar(length=200, primary_key=True)
    window_start = Timestamptz()
    hits = Integer(default=0)


class DutyShift(Table, tablename="duty_shifts"):
    """领导接访: a leader receives residents at a hall at a time (published by admins)."""

    id = UUID(primary_key=True)
    #: the hall: a community (or a street's own hall)
    org_unit_id = UUID(index=True)
    leader_id = UUID(index=True)
    #: shown publicly, e.g. 区领导 / 街道领导 + position
    leader_title = Varchar(length=100)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    #: how many residents may book
    capacity = Integer(default=10)
    created_by = UUID()
    created_at = Timestamptz()
    reminded_at = Timestamptz(null=True, default=None)


class DutyRequest(Table, tablename="duty_requests"):
    """A resident asks for a slot with the leader on duty."""

    id = UUID(primary_key=True)
    shift_id = UUID(index=True)
    topic = Varchar(length=200)
    #: personal data: read by the hall staff and the leader only
    contact_phone = Varchar(length=32)
    created_at = Timestamptz()
