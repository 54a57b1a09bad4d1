"""Request and response bodies of the volunteers endpoints (msgspec; unknown fields refused)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from server.accounts.schemas import Name, Password, Username


class InviteIn(msgspec.Struct, forbid_unknown_fields=True):
    #: the community the volunteer joins (default: the admin's own)
    community_id: UUID | None = None


class InviteOut(msgspec.Struct):
    id: str
    code: str
    community_id: str
    expires_at: str | None
    join_url: str
    qr_svg: str


class InviteListItem(msgspec.Struct):
    id: str
    community_id: str
    created_at: str | None
    expires_at: str | None
    redeemed_at: str | None
    redeemed_by: str | None


class JoinIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=4, max_length=40)]
    username: Username
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=200)]
    display_name: Name
    #: show my name on the community's leaderboard (else "志愿者 ***")
    show_name: bool = False


class JoinOut(msgspec.Struct):
    id: str
    username: str
    display_name: str
    role: str
    org_unit_id: str


class PointsEntryOut(msgspec.Struct):
    event: str
    points: int
    source_collection: str
    source_id: str
    at: str | None


class AwardStep(msgspec.Struct):
    at: str | None
    action: str
    what: str


class MyAwardOut(msgspec.Struct):
    id: str
    amount_fen: int
    reason: str
    source_collection: str
    source_id: str
    status: str
    created_at: str | None
    steps: list[AwardStep]


class MeOut(msgspec.Struct):
    points: int
    points_entries: list[PointsEntryOut]
    awards: list[MyAwardOut]
    awarded_fen: int
    paid_fen: int
    show_name: bool


class PreferencesIn(msgspec.Struct, forbid_unknown_fields=True):
    show_name: bool


class LeaderboardRow(msgspec.Struct):
    rank: int
    name: str
    points: int
    me: bool


Points = Annotated[int, msgspec.Meta(ge=0, le=10_000)]


class RulesIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    community_id: UUID
    report_accepted: Points | msgspec.UnsetType = msgspec.UNSET
    report_merged: Points | msgspec.UnsetType = msgspec.UNSET


class RulesOut(msgspec.Struct):
    community_id: str
    report_accepted: int
    report_merged: int


__all__ = ["Password"]
