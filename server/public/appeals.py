"""A resident's appeal arrives: it becomes a dispute of the station's community (channel
`station`, or `app` without a QR code), waiting in that hall's triage, and the hall's staff are
told (an inbox notice and its Web Push, with no personal data).

The dispute is written through the sync engine's server path, like the deadline checker's writes,
so it is versioned, audited, on the change feed and reacted to like any synced record; the
appeal's own row (tracking-code hash, triage, timeline) commits in the same transaction.

A new appeal is `blue` (no warning: warnings start at orange, so spam never raises one); the hall
sets the risk when it accepts the case.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from server.accounts.tables import User
from server.db import write_transaction
from server.http.errors import ApiError
from server.inbox.notices import Notice, notify
from server.org.tree import OrgTree, Unit, load_tree
from server.public import codes
from server.public.body import bad
from server.public.group_commit import GroupCommit
from server.public.schemas import AppealIn
from server.public.tables import PublicAppeal, PublicAppealEvent
from server.public.throttle import Limit, Throttle, too_many
from server.records.tables import Attachment
from server.replication.reactions import Reactor
from server.replication.store import WorkingSet
from server.scheduling.runner import SERVER, clock
from sync.engine import server_write
from sync.model import Applied, Rejected

log = logging.getLogger("doorstep.public")

SERVICE_WORDS = {
    "dispute": "纠纷化解",
    "legal": "公共法律",
    "psych": "社会心理",
    "complaint": "投诉建议",
    "assistance": "帮扶救助",
}
APPELLANT = "来访群众"


@dataclass(frozen=True, slots=True)
class Place:
    community: Unit
    station: Unit | None
    channel: str


def find_place(tree: OrgTree, data: AppealIn) -> Place:
    """The community (and station) an appeal belongs to, from the codes the form sends."""
    by_code = {u.code: u for u in tree.units.values()}
    if data.station_code:
        station = by_code.get(data.station_code)
        if station is None or station.kind != "station":
            raise bad("station_code", "没有这个服务站点", "no such station", 404, "not_found")
        community_id = tree.nearest(station.id, "community")
        community = tree.get(community_id)
        if community is None:
            raise bad("station_code", "该站点不属于任何社区", "the station has no community", 422)
        return Place(community, station, "app" if data.source == "app" else "station")
    if data.community_code:
        community = by_code.get(data.community_code)
        if community is None or community.kind != "community":
            raise bad("community_code", "没有这个社区", "no such community", 404, "not_found")
        return Place(community, None, "app")
    raise bad(
        "station_code",
        "请选择服务站点或社区",
        "name the station (station_code) or the community (community_code)",
        422,
        "validation",
    )


async def staff_photos(photos: set[str]) -> set[str]:
    """Of these photo hashes, those a staff member uploaded.  An appeal may name photos
    uploaded through the public door, or not uploaded yet (the phone sends the appeal and its
    photos separately), but not a staff member's: naming a hash would otherwise make someone
    else's photo readable by the hall."""
    if not photos:
        return set()
    rows = await Attachment.select(Attachment.sha256).where(
        Attachment.sha256.is_in(sorted(photos)), Attachment.created_by.is_not_null()
    )
    return {str(row["sha256"]) for row in rows}


def code_for(secret: str, client_id: str | None) -> str:
    """A fresh random code; for an outbox entry, one derived from its id under the server's
    secret, so a resend after a lost answer gets the same code without the code being stored."""
    if client_id is None:
        return codes.new_code()
    digest = codes.code_hash(secret, f"client:{client_id.lower()}")
    n = int(digest, 16)
    out = []
    for _ in range(codes.LENGTH):
        n, i = divmod(n, len(codes.ALPHABET))
        out.append(codes.ALPHABET[i])
    return "".join(out)


def _dispute_fields(data: AppealIn, place: Place) -> dict[str, object]:
    fields: dict[str, object] = {
        "community_id": str(place.community.id),
        "channel": place.channel,
        "service_type": data.service_type,
        "title": data.title.strip(),
        "description": data.description.strip(),
        "risk_level": "blue",
        "status": "registered",
        "tags": ["群众端"],
    }
    if data.contact_phone:
        fields["parties"] = [
            {"name": APPELLANT, "phone": data.contact_phone.strip(), "role": "appellant"}
        ]
    if data.location is not None:
        geo: dict[str, float] = {"lat": data.location.lat, "lng": data.location.lng}
        if data.location.accuracy_m is not None:
            geo["accuracy_m"] = data.location.accuracy_m
        fields["location"] = geo
    if data.photos:
        fields["photos"] = sorted(set(data.photos))
    if place.station is not None:
        fields["address"] = place.station.name
    return fields


@dataclass(slots=True)
class Pending:
    """An appeal waiting for its batch (server/public/group_commit.py)."""

    data: AppealIn
    place: Place
    #: the tracking code's HMAC; for an outbox entry, the same for every resend
    hashed: str
    #: the rate limits it counts against
    limits: tuple[tuple[Limit, str], ...]
    #: once counted: its Retry-After (0: within the limits); a batch written again after a
    #: failure does not count its appeals twice
    retry_after: int | None = None


async def submit(
    data: AppealIn, secret: str, place: Place, limits: tuple[tuple[Limit, str], ...]
) -> tuple[str, bool]:
    """Count and store the appeal; returns its tracking code and whether it is new (False: a
    resend).  Answered once the appeal has committed, written together with the appeals that
    arrived meanwhile (group commit); 429 past a rate limit."""
    code = code_for(secret, data.client_id)
    pending = Pending(data, place, codes.code_hash(secret, code), limits)
    return code, await _batches.submit(pending)


async def write_batch(batch: Sequence[Pending]) -> list[bool | Exception]:
    """Count and write appeals: per appeal True (written), False (a resend of an appeal
    already stored, or of one earlier in this batch) or the 4xx it gets (a rate limit, a photo
    it may not name, a value the dispute schema refuses).  The writes share one transaction;
    any other error fails the whole batch (the caller then writes each appeal alone)."""
    outcomes: list[bool | Exception] = [False] * len(batch)
    uncounted = [p for p in batch if p.retry_after is None]
    if uncounted:
        for pending, wait in zip(
            uncounted, await throttle.count([p.limits for p in uncounted]), strict=True
        ):
            pending.retry_after = wait
    refused = await staff_photos({h for p in batch if not p.retry_after for h in p.data.photos})
    todo: list[int] = []
    for i, pending in enumerate(batch):
        if pending.retry_after:
            outcomes[i] = too_many(pending.retry_after)
        elif refused.intersection(pending.data.photos):
            outcomes[i] = bad(
                "photos", "照片无效，请重新上传", "a photo is not one uploaded by this form", 422
            )
        else:
            todo.append(i)
    if not todo:
        return outcomes
    tree = await load_tree()
    now = datetime.now(UTC)
    now_ms = int(now.timestamp() * 1000)
    async with write_transaction():
        # In the transaction: a resend racing its first copy in another worker then fails the
        # batch on the unique code hash, and each appeal written alone finds the first copy.
        stored = await _stored([batch[i].hashed for i in todo if batch[i].data.client_id])
        ws = WorkingSet(SERVER, SERVER)
        reactor = Reactor(ws, tree, now_ms, clock)
        applied: list[Applied] = []
        appeals: list[PublicAppeal] = []
        for i in todo:
            pending = batch[i]
            if pending.hashed in stored:
                continue
            dispute_id = str(uuid.uuid4())
            ws.expect_new("disputes", dispute_id)
            fields = _dispute_fields(pending.data, pending.place)
            try:
                applied.append(
                    server_write(ws, "disputes", dispute_id, fields, now_ms=now_ms, clock=clock)
                )
            except Rejected as exc:  # a value the dispute schema refuses (the form checks most)
                outcomes[i] = ApiError(422, "validation", f"填写的内容有误 ({exc})")
                continue
            outcomes[i] = True
            if pending.data.client_id:  # a resend later in this batch is answered as one
                stored.add(pending.hashed)
            await _tell_the_hall(reactor, pending.place, dispute_id, pending.data.service_type)
            appeals.append(_appeal_row(pending, UUID(dispute_id), now))
        after_commit = await reactor.run(applied)
        if appeals:
            await PublicAppeal.insert(*appeals)
            await PublicAppealEvent.insert(
                *(PublicAppealEvent(appeal_id=a.id, at=now, what="received") for a in appeals)
            )
        # last: the flush ends with the change feed, whose counter lock is held until commit
        await ws.flush()
    # Committed: from here nothing may fail the batch, or it would be written a second time.
    for callback in after_commit:
        try:
            callback()
        except Exception:  # the pushes are sent by the outbox sweep anyway
            log.exception("waking the push deliverer after a batch of appeals failed")
    return outcomes


async def _stored(hashes: list[str]) -> set[str]:
    if not hashes:
        return set()
    rows = await PublicAppeal.select(PublicAppeal.code_hash).where(
        PublicAppeal.code_hash.is_in(hashes)
    )
    return {str(row["code_hash"]) for row in rows}


def _appeal_row(pending: Pending, dispute_id: UUID, now: datetime) -> PublicAppeal:
    place = pending.place
    return PublicAppeal(
        id=uuid.uuid4(),
        code_hash=pending.hashed,
        dispute_id=dispute_id,
        original_dispute_id=dispute_id,
        community_id=place.community.id,
        station_id=place.station.id if place.station else None,
        channel=place.channel,
        service_type=pending.data.service_type,
        created_at=now,
    )


#: the rate-limit counters (the same database rows as the controllers' Throttle)
throttle = Throttle()
#: this process's queue of appeals waiting to be written
_batches: GroupCommit[Pending, bool] = GroupCommit(write_batch, max_batch=50)


#: community id → (monotonic time, its hall staff): reused for STAFF_SECONDS
_staff: dict[UUID, tuple[float, set[str]]] = {}
STAFF_SECONDS = 30.0


async def hall_staff(reactor: Reactor, community: Unit) -> set[str]:
    """The community's hall staff (active community admins at or below the community), looked
    up once per half minute per community rather than per appeal (a burst of appeals from one
    station does not re-read the users; a newly added admin hears of appeals within 30 s)."""
    hit = _staff.get(community.id)
    if hit is not None and time.monotonic() - hit[0] < STAFF_SECONDS:
        return hit[1]
    units = [u for u in reactor.tree.units if reactor.tree.is_within(u, community.id)]
    rows = await User.select(User.id).where(
        User.role == "community_admin",
        User.org_unit_id.is_in(units),
        User.active.eq(True),
        User.deleted.eq(False),
    )
    staff = {str(r["id"]) for r in rows}
    _staff[community.id] = (time.monotonic(), staff)
    return staff


async def _tell_the_hall(reactor: Reactor, place: Place, dispute_id: str, service: str) -> None:
    staff = await hall_staff(reactor, place.community)
    if not staff:
        return
    notify(
        reactor,
        Notice(
            users=frozenset(staff),
            type="public_appeal",
            title="新的群众诉求待分拣",
            body=f"{SERVICE_WORDS.get(service, service)}类诉求，请及时研判",
            url="#/appeals",
            subject=f"public_appeal/{dispute_id}",
        ),
    )
