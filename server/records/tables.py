"""Piccolo tables for the synced collections of SCHEMA.md (org_units and users live in their
own domains).  Column names equal schema field names; `tests/server/records/test_tables.py`
checks that they stay in step with `sync/schema.py`.

List, geo and object fields are JSON; enums are short strings; refs are UUIDs without foreign
keys, because a device may sync a visit before the server has heard of its dispute's sibling
records, and tombstones keep references valid anyway.
"""

from __future__ import annotations

from piccolo.columns import JSON, UUID, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from server.records.columns import SyncedColumns


def _ref(index: bool = False) -> UUID:
    return UUID(null=True, default=None, index=index)


def _when(index: bool = False) -> Timestamptz:
    return Timestamptz(null=True, default=None, index=index)


def _enum() -> Varchar:
    return Varchar(length=32, null=True, default=None)


def _str(length: int = 200) -> Varchar:
    return Varchar(length=length, null=True, default=None)


def _text() -> Text:
    return Text(null=True, default=None)


def _json() -> JSON:
    return JSON(null=True, default=None)


class Dispute(SyncedColumns, Table, tablename="disputes"):
    community_id = _ref(index=True)
    grid_id = _ref()
    service_type = _enum()
    channel = _enum()
    category = _enum()
    title = _str()
    description = _text()
    parties = _json()
    location = _json()
    address = _str()
    photos = _json()
    tags = _json()
    risk_level = _enum()
    status = _enum()
    assignee_id = _ref()
    follow_up_at = _when()
    resolution_summary = _text()


class Visit(SyncedColumns, Table, tablename="visits"):
    dispute_id = _ref(index=True)
    visited_at = _when()
    kind = _enum()
    notes = _text()
    location = _json()
    photos = _json()
    outcome = _enum()
    #: copied from the dispute at creation: a visit's scope is its dispute's
    community_id = _ref(index=True)


class Consultation(SyncedColumns, Table, tablename="consultations"):
    community_id = _ref(index=True)
    consulted_at = _when()
    client_name = _str()
    client_phone = _str(32)
    topic = _enum()
    question = _text()
    advice = _text()
    referral = _enum()
    duration_minutes = Integer(null=True, default=None)
    dispute_id = _ref()


class PsychSlot(SyncedColumns, Table, tablename="psych_slots"):
    psychologist_id = _ref(index=True)
    room_id = _ref()
    starts_at = _when(index=True)
    ends_at = _when()
    status = _enum()


class PsychSession(SyncedColumns, Table, tablename="psych_sessions"):
    psychologist_id = _ref(index=True)
    room_id = _ref(index=True)
    starts_at = _when(index=True)
    ends_at = _when()
    client_ref = _str(64)
    dispute_id = _ref()
    status = _enum()
    notes = _text()
    risk_level = _enum()
    #: server-only: when the 24 h and 1 h reminders went out (never synced)
    reminded_24h_at = _when()
    reminded_1h_at = _when()


class DispatchOrder(SyncedColumns, Table, tablename="dispatch_orders"):
    community_id = _ref(index=True)
    dispute_id = _ref()
    department_id = _ref(index=True)
    summary = _text()
    required_leader_level = _enum()
    arrive_by = _when(index=True)
    resolve_by = _when(index=True)
    status = _enum()
    arrival = _json()
    resolution_note = _text()
    overdue = Boolean(null=True, default=False)
    escalation_level = _enum()
    community_rating = Integer(null=True, default=None)
    department_rating = Integer(null=True, default=None)
    #: server-only: when the deadline checker first found it overdue (drives escalation)
    overdue_since = _when()


class GradedWarning(SyncedColumns, Table, tablename="warnings"):
    level = _enum()
    source = _enum()
    subject_collection = _str(64)
    subject_id = _ref()
    org_unit_id = _ref(index=True)
    message = _text()
    acknowledged_by = _json()
    #: server-only: when an unacknowledged red warning was sent again one level up
    resent_at = _when()


class Notification(SyncedColumns, Table, tablename="notifications"):
    user_id = _ref(index=True)
    type = _str(64)
    title = _str()
    body = _str(500)
    url = _str(500)
    read = Boolean(null=True, default=False)


class Conflict(SyncedColumns, Table, tablename="conflicts"):
    target_collection = _str(64)
    target_id = _ref(index=True)
    field = _str(64)
    kind = _enum()
    base = _json()
    theirs = _json()
    yours = _json()
    theirs_by = _ref()
    yours_by = _ref()
    status = _enum()
    resolution = _json()
    resolved_by = _ref()
    #: the target's scope, so the admins of that scope see the conflict
    scope_org_id = _ref(index=True)


class Attachment(Table, tablename="attachments"):
    """Metadata of an uploaded photo; the bytes live under DOORSTEP_DATA_DIR/attachments."""

    sha256 = Varchar(length=64, primary_key=True)
    content_type = Varchar(length=32)
    size = Integer()
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz()
