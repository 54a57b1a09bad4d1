"""Who may read and write psych slots and sessions.

Psychologists own their slots and sessions; a session's notes are readable by its psychologist
alone.  Community staff and admins may ask for a session (a referral, `requested`), never
schedule it or touch its clinical fields; the author of a referral may cancel it.  Slots hold no
client data: everyone may read them, since referrals are booked against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.accounts.principal import Principal
from server.org.tree import OrgTree
from server.permissions import (
    ADMIN_ROLES,
    COMMUNITY_STAFF,
    as_uuid,
    can_read,
    holds_less,
    id_of,
    in_scope,
    scope_root,
)
from server.specs import Admission, FeedScope, PermissionRecord, Write
from sync.model import MutationError

#: fields a referral (a booking by someone other than the psychologist) may set
SESSION_REFERRAL_FIELDS = frozenset(
    {"psychologist_id", "room_id", "starts_at", "ends_at", "client_ref", "dispute_id", "status"}
)
#: fields only the session's psychologist may read
PRIVATE_SESSION_FIELDS = frozenset({"notes"})


def psych_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    return id_of(record.get("room_id")), id_of(record.get("psychologist_id"))


def session_also_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    """A referral is read by its author too (`can_read_session`)."""
    return id_of(record.get("created_by")), None


def session_feed_scope(p: Principal, tree: OrgTree) -> FeedScope:
    """Own sessions and referrals (owner = psychologist, second user = author), and for admins
    the sessions in rooms of their scope."""
    root = scope_root(p, tree) if p.role in ADMIN_ROLES else None
    return FeedScope(user=p.user_id, subtree=root)


# -- slots --------------------------------------------------------------------------------------
def can_read_slot(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    return True  # availability is what referrals are booked against; it holds no client data


def check_slot_write(w: Write) -> str | None:
    if w.principal.role != "psychologist" or id_of(w.merged.get("psychologist_id")) != w.me:
        return "only the psychologist edits their own availability"
    return None


# -- sessions -----------------------------------------------------------------------------------
def can_read_session(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    me = str(p.user_id)
    if id_of(record.get("psychologist_id")) == me or id_of(record.get("created_by")) == me:
        return True
    return p.role in ADMIN_ROLES and in_scope(p, tree, record.get("room_id"))


def session_on_device(p: Principal, record: PermissionRecord) -> PermissionRecord | None:
    """Supervisors' devices hold only the referrals they made themselves; other sessions of
    their subtree are read online (COMMAND_API.md "Supervisors' devices hold less")."""
    if holds_less(p) and id_of(record.get("created_by")) != str(p.user_id):
        return None
    return record


def check_session_write(w: Write) -> str | None:
    p, current, proposed = w.principal, w.current, w.proposed
    if p.role == "psychologist" and id_of(w.merged.get("psychologist_id")) == w.me:
        return None
    # a referral: others may ask for a session, never schedule it or touch clinical fields
    if p.role in COMMUNITY_STAFF | ADMIN_ROLES:
        if set(proposed) - SESSION_REFERRAL_FIELDS:
            return "only the session's psychologist writes notes and risk"
        if current is None:
            if proposed.get("status", "requested") != "requested":
                return "a referral is created as requested; the psychologist schedules it"
            return None
        own_referral = id_of(current.get("created_by")) == w.me
        if own_referral and proposed == {"status": "cancelled"}:
            return None
        return "only the psychologist changes a booked session"
    return "your role cannot book sessions"


def session_start(p: Principal, proposed: Mapping[str, Any]) -> dict[str, str]:
    """A session its own psychologist books is `scheduled` at once (nobody else has to accept
    it, and it must block the slot); anyone else's booking is a referral, `requested`."""
    if p.role == "psychologist" and id_of(proposed.get("psychologist_id")) == str(p.user_id):
        return {"status": "scheduled"}
    return {"status": "requested"}


def serves(p: Principal, tree: OrgTree, unit_id: Any) -> bool:
    """Whether a room or a psychologist's post at `unit_id` serves this user's scope.

    A community's room serves that community, a street's room the street's communities: the
    unit's area (its community, else its street) and the user's scope must contain one another.
    """
    unit = as_uuid(unit_id)
    area = tree.nearest(unit, "community") or tree.nearest(unit, "street") or unit
    root = scope_root(p, tree)
    return area is not None and (tree.is_within(root, area) or tree.is_within(area, root))


def referral_out_of_scope(a: Admission) -> MutationError | None:
    """A referral (any booking by someone other than its psychologist) holds a slot of a
    psychologist and a room, so it must stay inside the referrer's community or street: else
    anyone could fill any psychologist's calendar (issue 9 item 8)."""
    merged = {**(a.stored or {}), **a.proposal}
    psychologist_id = id_of(merged.get("psychologist_id"))
    if a.principal.role == "psychologist" and psychologist_id == str(a.principal.user_id):
        return None
    details = {"collection": a.collection}
    if a.proposal.get("room_id") and not serves(a.principal, a.tree, a.proposal["room_id"]):
        return MutationError(
            "forbidden", "the room serves another community", {**details, "field": "room_id"}
        )
    if a.stored is None:
        psychologist = a.ws.records.get(("users", str(psychologist_id)))
        post = psychologist.fields.get("org_unit_id") if psychologist is not None else None
        if post is None or not serves(a.principal, a.tree, post):
            return MutationError(
                "forbidden",
                "the psychologist serves another community",
                {**details, "field": "psychologist_id"},
            )
    return None


def admit_session(a: Admission) -> MutationError | None:
    """A referral stays inside its author's scope and may cite only a dispute they can see."""
    error = referral_out_of_scope(a) if a.op != "delete" else None
    if error is not None or not a.proposal.get("dispute_id"):
        return error
    dispute = a.ws.records.get(("disputes", str(a.proposal["dispute_id"])))
    if dispute is None or not can_read(
        a.principal, a.tree, "disputes", a.ws.permission_record(dispute)
    ):
        return MutationError(
            "forbidden",
            "the cited dispute does not exist or is outside your scope",
            {"collection": a.collection, "field": "dispute_id"},
        )
    return None
