"""Tables of the volunteers domain: the synced `reports`, invites, profiles, points rules and
the points ledger (append-only: a trigger refuses UPDATE and DELETE on both engines)."""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    Integer,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.records.columns import (
    SyncedColumns,
    enum_column,
    json_column,
    ref_column,
    str_column,
    text_column,
)


class Report(SyncedColumns, Table, tablename="reports"):
    community_id = ref_column(index=True)
    kind = enum_column()
    title = str_column()
    description = text_column()
    location = json_column()
    address = str_column()
    photos = json_column()
    status = enum_column()
    dispute_id = ref_column()
    merged_into = ref_column()
    outcome_reason = text_column()
    points = Integer(null=True, default=None)


class VolunteerInvite(Table, tablename="volunteer_invites"):
    """A single-use code.  Only its sha256 is kept: the admin sees the code once."""

    id = UUID(primary_key=True)
    code_hash = Varchar(length=64, unique=True)
    community_id = UUID(index=True)
    created_by = UUID()
    created_at = Timestamptz()
    expires_at = Timestamptz()
    redeemed_at = Timestamptz(null=True, default=None)
    redeemed_by = UUID(null=True, default=None)


class VolunteerProfile(Table, tablename="volunteer_profiles"):
    """What a volunteer chose: whether their name shows on the leaderboard."""

    user_id = UUID(primary_key=True)
    community_id = UUID(index=True)
    invite_id = UUID(null=True, default=None)
    joined_at = Timestamptz()
    show_name = Boolean(default=False)


class PointsRule(Table, tablename="volunteer_points_rules"):
    """Points per event in one community (absent: the default in `points.DEFAULT_POINTS`)."""

    community_id = UUID(index=True)
    event = Varchar(length=32)
    points = Integer(default=0)
    updated_by = UUID(null=True, default=None)
    updated_at = Timestamptz()


class PointsEntry(Table, tablename="volunteer_points"):
    """One award of points; unique per (event, source) so a replayed change awards once."""

    id = Serial(primary_key=True)
    volunteer_id = UUID(index=True)
    community_id = UUID(index=True)
    event = Varchar(length=32)
    points = BigInt()
    source_collection = Varchar(length=64)
    source_id = UUID()
    created_at = Timestamptz()
