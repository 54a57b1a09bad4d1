"""Raising a warning (for other domains' rules) and routing every new warning by its level.

A dispute raised to orange or red (server/disputes/rules.py), a psych session flagged high or
critical (server/psych/rules.py) and an overdue dispatch order (server/dispatch/jobs.py) raise a
warning through `raise_warning`; an admin may raise one by hand.  Either way the new warning is
routed to the people its level reaches (`route_new_warning`, a reaction).
"""

from __future__ import annotations

import uuid
from typing import Any

from server.inbox.notices import Notice, notify
from server.inbox.recipients import people_of
from server.permissions import as_uuid
from server.replication.reactions import Reactor
from server.warnings.routing import recipients
from server.warnings.tables import GradedWarning
from sync.engine import server_write
from sync.model import Applied, Record
from sync.times import rfc3339_from_ms

WARNING_NAMESPACE = uuid.UUID("5d2c1b0a-9e8f-4a7b-8c6d-1e2f3a4b5c6d")


def raise_warning(
    reactor: Reactor, *, level: str, source: str, subject: Record, org_unit_id: Any, message: str
) -> list[Applied]:
    """Write a warning about `subject` (one per subject version: a replay writes the same id)."""
    warning_id = str(
        uuid.uuid5(WARNING_NAMESPACE, f"{subject.collection}/{subject.id}/{subject.version}")
    )
    reactor.ws.expect_new("warnings", warning_id)
    applied = server_write(
        reactor.ws,
        "warnings",
        warning_id,
        {
            "level": level,
            "source": source,
            "subject_collection": subject.collection,
            "subject_id": subject.id,
            "org_unit_id": str(org_unit_id) if org_unit_id else None,
            "message": message,
            "acknowledged_by": [],
            "status": "open",
        },
        now_ms=reactor.now_ms,
        clock=reactor.clock,
    )
    return [applied]


def raised_to(
    item: Applied, name: str, alarming: tuple[str, ...], order: tuple[str, ...]
) -> str | None:
    """The new value of `name` when this write raised it into an alarming level."""
    if name not in item.changes:
        return None
    old, new = item.changes[name]
    if new not in alarming:
        return None
    old_rank = order.index(old) if old in order else -1
    return str(new) if order.index(new) > old_rank else None


async def route_new_warning(reactor: Reactor, item: Applied) -> list[Applied]:
    """Every new warning (raised by a rule or by hand) goes to the people its level reaches,
    and to the assignee of its subject when the subject has one."""
    if not item.created:
        return []
    fields = item.after.fields
    level = str(fields.get("level") or "blue")
    subject = reactor.ws.records.get(
        (str(fields.get("subject_collection")), str(fields.get("subject_id")))
    )
    assignee = subject.fields.get("assignee_id") if subject else None
    people = await people_of(reactor)
    users = recipients(people, level, as_uuid(fields.get("org_unit_id")), assignee)
    notify(
        reactor,
        Notice(
            users=frozenset(users),
            type="warning",
            template=_warning_template(fields),
            params={"level": level},
            url=f"#/inbox/warnings/{item.record_id}",
            subject=f"warning/{item.record_id}",
            urgency="high" if level == "red" else "normal",
            ttl=12 * 3600,
            # red goes by SMS to whoever leaves the push unacknowledged (issue 14)
            sms="red" if level == "red" else None,
            ack=("warnings", item.record_id),
        ),
    )
    return []


def _warning_template(fields: dict[str, Any]) -> str:
    """The notice text by the warning's source (server/notify/templates.json)."""
    source = str(fields.get("source"))
    return (
        f"warning_{source}"
        if source in ("dispute", "psych", "dispatch_overdue")
        else ("warning_other")
    )


async def close_warnings_of_deleted(reactor: Reactor, item: Applied) -> list[Applied]:
    """A deleted record's open warnings close with it, in the same transaction: a warning about
    a dispute that no longer exists cannot be handled, and must not keep resending red alerts.
    Kept rather than deleted, so the command view still counts the warnings raised."""
    if not item.after.deleted or (item.before is not None and item.before.deleted):
        return []
    rows = await GradedWarning.select(GradedWarning.id).where(
        GradedWarning.subject_id == item.record_id,
        GradedWarning.deleted.eq(False),
        GradedWarning.closed_at.is_null(),
    )
    await reactor.ws.load_records(("warnings", str(row["id"])) for row in rows)
    closed_at = rfc3339_from_ms(reactor.now_ms)
    return [
        server_write(
            reactor.ws,
            "warnings",
            str(row["id"]),
            {"status": "closed", "closed_at": closed_at},
            now_ms=reactor.now_ms,
            clock=reactor.clock,
        )
        for row in rows
    ]
