"""What an applied agreement change sets off, in the push's transaction.

- Editing the signed text (parties, facts, terms) clears the signatures given before the edit
  (those pushed with the edit were given on the new text), takes a signed agreement back to
  draft and tells the editor and the mediator so: a signed text is never changed under its
  signatures, even by an edit made offline before the signatures arrived.
- A new agreement takes its facts from the dispute's description when none were written.
- Each step is dated: `signed_at` and the 30-day `submit_by` when the last party has signed,
  `submitted_at` and `ruled_at` when the phone left them empty; `content_sha256` follows the
  signed content (server/agreements/content.py).
- A confirmed agreement resolves its dispute; the court's answer is told to the mediator and
  the community's admins.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from server.agreements.admission import unsigned_parties
from server.agreements.content import content_sha256
from server.agreements.schema import SIGNED_CONTENT
from server.inbox.notices import Notice, notify
from server.inbox.recipients import people_of
from server.permissions import as_uuid
from server.replication.reactions import Reactor
from sync.engine import server_write
from sync.model import Applied
from sync.times import rfc3339_from_ms
from sync.validate import canonical_json

#: the application for judicial confirmation is due within 30 days of signing
SUBMISSION_WINDOW = timedelta(days=30)
RESOLVED_STATES = ("resolved", "closed", "withdrawn")


def _write(reactor: Reactor, item: Applied, changes: dict[str, Any]) -> list[Applied]:
    if not changes:
        return []
    applied = server_write(
        reactor.ws,
        "agreements",
        item.record_id,
        changes,
        now_ms=reactor.now_ms,
        clock=reactor.clock,
    )
    return [applied] if applied.changes else []


def _lawyers_of(item: Applied) -> set[str]:
    """Who follows an agreement to the court: its mediator, else whoever drafted it."""
    fields = item.after.fields
    who = fields.get("mediator_id") or item.after.created_by
    return {str(who)} if who else set()


async def clear_stale_signatures(reactor: Reactor, item: Applied) -> list[Applied]:
    if item.mutation_id is None or item.before is None:
        return []  # the server's own writes (facts on creation) sign nothing away
    if not any(name in item.changes for name in SIGNED_CONTENT):
        return []
    given_before = {canonical_json(s) for s in item.before.fields.get("signatures") or []}
    now_held = list(item.after.fields.get("signatures") or [])
    # signatures added together with the edit were given on the new text: they stay
    kept = [s for s in now_held if canonical_json(s) not in given_before]
    changes: dict[str, Any] = {}
    if item.after.fields.get("status") == "signed":
        changes["status"] = "draft"  # signed again by saying so, which restarts the clock
    if len(kept) == len(now_held):
        return _write(reactor, item, changes)
    changes["signatures"] = kept
    users = _lawyers_of(item) | ({item.actor.user_id} if item.actor else set())
    cleared = len(now_held) - len(kept)
    notify(
        reactor,
        Notice(
            users=frozenset(users),
            type="agreement_signatures_cleared",
            title="调解协议内容已修改，原签名已清除",
            body=f"已清除 {cleared} 个签名，请各方对修改后的协议重新签名",
            url=f"#/agreements/{item.record_id}",
            subject=f"agreement/{item.record_id}/cleared/v{item.after.version}",
        ),
    )
    return _write(reactor, item, changes)


async def stamp_steps(reactor: Reactor, item: Applied) -> list[Applied]:
    # the record as it is now: an earlier reaction may have written it since `item`
    fields = (reactor.ws.get("agreements", item.record_id) or item.after).fields
    now = rfc3339_from_ms(reactor.now_ms)
    changes: dict[str, Any] = {}
    if item.created and not fields.get("facts"):
        dispute = reactor.ws.records.get(("disputes", str(fields.get("dispute_id"))))
        if dispute is not None and dispute.fields.get("description"):
            changes["facts"] = dispute.fields["description"]
    status = fields.get("status")
    if status == "signed" and unsigned_parties(fields.get("parties"), fields.get("signatures")):
        # a signature removed concurrently with the signing: not signed after all
        changes["status"] = status = "draft"
    if "status" in item.changes or "status" in changes:
        if status == "signed":
            changes["signed_at"] = now
            changes["submit_by"] = rfc3339_from_ms(
                reactor.now_ms + int(SUBMISSION_WINDOW.total_seconds() * 1000)
            )
        elif status == "draft":
            changes["signed_at"] = None
            changes["submit_by"] = None
        elif status == "submitted" and not fields.get("submitted_at"):
            changes["submitted_at"] = now
        elif status in ("confirmed", "rejected") and not fields.get("ruled_at"):
            changes["ruled_at"] = now
    digest = content_sha256(item.record_id, {**fields, **changes})
    if digest != fields.get("content_sha256"):
        changes["content_sha256"] = digest
    return _write(reactor, item, {k: v for k, v in changes.items() if fields.get(k) != v})


async def follow_the_court(reactor: Reactor, item: Applied) -> list[Applied]:
    if "status" not in item.changes:
        return []
    status = item.after.fields.get("status")
    if status not in ("confirmed", "rejected"):
        return []
    fields = item.after.fields
    url = f"#/agreements/{item.record_id}"
    dispute = await _dispute(reactor, fields.get("dispute_id"))
    people = await people_of(reactor)
    community = as_uuid(dispute.fields.get("community_id")) if dispute is not None else None
    admins = people.with_role("community_admin", community) if community else set()
    confirmed = status == "confirmed"
    notify(
        reactor,
        Notice(
            users=frozenset(_lawyers_of(item) | admins),
            type="agreement_ruling",
            title="调解协议已获司法确认" if confirmed else "司法确认申请被驳回",
            body=(
                f"案号 {fields.get('court_case_number') or ''}，纠纷已办结"
                if confirmed
                else "请查看驳回理由并与当事人沟通"
            ),
            url=url,
            subject=f"agreement/{item.record_id}/{status}",
        ),
    )
    if not confirmed or dispute is None or dispute.fields.get("status") in RESOLVED_STATES:
        return []
    changes: dict[str, Any] = {"status": "resolved"}
    if not dispute.fields.get("resolution_summary"):
        case = fields.get("court_case_number") or ""
        changes["resolution_summary"] = f"经人民调解达成协议，并经法院司法确认（案号：{case}）。"
    applied = server_write(
        reactor.ws,
        "disputes",
        dispute.id,
        changes,
        now_ms=reactor.now_ms,
        clock=reactor.clock,
    )
    return [applied] if applied.changes else []


async def _dispute(reactor: Reactor, dispute_id: Any) -> Any:
    if not dispute_id:
        return None
    key = ("disputes", str(dispute_id))
    if key not in reactor.ws.records:
        await reactor.ws.load_records([key])
    return reactor.ws.records.get(key)
