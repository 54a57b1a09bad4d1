"""The push algorithm: per-device ordering, exactly-once answers, one plan per mutation.

The engine is synchronous and pure over a :class:`~sync.store.Store`; see store.py for how the
server feeds it.  Every mutation is planned completely (validated, merged, checked) before any
of its writes reach the store, so a rejection never leaves half a write behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .context import Ctx, Gate, Plan, bump, set_field
from .hlc import ServerClock, parse_hlc, too_far_ahead
from .model import (
    DELETED_KEY,
    Actor,
    Applied,
    Mutation,
    MutationError,
    Record,
    Rejected,
    Result,
    reject,
)
from .planner import plan_mutation
from .policies import same
from .store import Store
from .times import rfc3339_from_ms
from .validate import collection_for, validate_fields

__all__ = ["Gate", "PushOutcome", "answer_rejected", "push", "server_write", "unprocessable_error"]

log = logging.getLogger("doorstep.sync")


def unprocessable_error() -> MutationError:
    """The answer to a mutation the server failed on (planning raised, or storing it did)."""
    return MutationError(
        "validation",
        "the server could not process this change; it was not applied",
        {"reason": "unprocessable"},
    )


def answer_rejected(store: Store, actor: Actor, m: Mutation, error: MutationError) -> Result:
    """Answer `m` as rejected without planning it (the server's last resort for a mutation whose
    writes cannot be stored): the seq counts as answered and the device goes on."""
    last = store.last_seq(actor.device_id)
    if m.seq <= last:
        return store.get_answer(actor.device_id, m.seq) or _expired_answer(m)
    if m.seq > last + 1:
        gap = MutationError(
            "seq_gap", f"expected seq {last + 1}, got {m.seq}", {"expected_seq": last + 1}
        )
        return Result(m.id, m.seq, "rejected", error=gap)
    result = Result(m.id, m.seq, "rejected", error=error)
    store.save_answer(actor.device_id, result)
    return result


@dataclass(slots=True)
class PushOutcome:
    """Answers in seq order; every record write (for audit, rules, notifications)."""

    results: list[Result] = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)
    stopped_at_gap: bool = False


def _expired_answer(m: Mutation) -> Result:
    """A seq below the last answered one whose answer the store no longer keeps.

    It was answered once, so it must not be applied again; the device only needs to drop it.
    """
    error = MutationError(
        "validation",
        "this change was answered before and the answer is no longer kept",
        {"reason": "answer_expired"},
    )
    return Result(m.id, m.seq, "rejected", error=error)


def _effective_hlc(m: Mutation, actor: Actor, now_ms: int, clock: ServerClock) -> tuple[str, bool]:
    """The mutation's clock, or the server's receive time when the device runs far ahead."""
    try:
        hlc = parse_hlc(m.hlc)
    except ValueError as exc:
        raise reject("validation", str(exc), field="hlc") from exc
    if hlc.device_id != actor.device_id:
        raise reject("validation", "hlc must end with the pushing device's id", field="hlc")
    if too_far_ahead(m.hlc, now_ms):
        return clock.tick(now_ms, actor.device_id), True
    return m.hlc, False


def _process(
    store: Store, actor: Actor, m: Mutation, now_ms: int, gate: Gate | None, clock: ServerClock
) -> tuple[Result, Plan | None]:
    adjusted = False
    try:
        hlc, adjusted = _effective_hlc(m, actor, now_ms, clock)
        ctx = Ctx(store, actor, m, hlc, now_ms, rfc3339_from_ms(now_ms), gate)
        plan = plan_mutation(ctx)
    except Rejected as exc:
        return Result(m.id, m.seq, "rejected", None, (), adjusted, exc.error), None
    except Exception:
        # Never let one mutation fail the batch: the device's outbox would resend it forever
        # (a poison pill).  It is answered like any invalid change, and the bug is logged.
        log.exception("mutation %s (seq %s, %s) could not be planned", m.id, m.seq, m.collection)
        return Result(m.id, m.seq, "rejected", None, (), adjusted, unprocessable_error()), None
    result = Result(
        m.id, m.seq, plan.status, plan.record_version, tuple(plan.conflict_ids), adjusted, None
    )
    return result, plan


def push(
    store: Store,
    actor: Actor,
    mutations: Iterable[Mutation],
    *,
    now_ms: int,
    gate: Gate | None = None,
    clock: ServerClock,
) -> PushOutcome:
    """Answer a device's batch in seq order (SYNC_PROTOCOL.md "Push").

    Already answered seqs get their stored answer; the next seq is planned and written; a gap
    answers ``seq_gap`` (not stored, so the device can resend) and stops the batch.
    """
    outcome = PushOutcome()
    for m in sorted(mutations, key=lambda mu: mu.seq):
        last = store.last_seq(actor.device_id)
        if m.seq <= last:
            outcome.results.append(store.get_answer(actor.device_id, m.seq) or _expired_answer(m))
            continue
        if m.seq > last + 1:
            error = MutationError(
                "seq_gap",
                f"expected seq {last + 1}, got {m.seq}; resend from {last + 1}",
                {"expected_seq": last + 1},
            )
            outcome.results.append(Result(m.id, m.seq, "rejected", error=error))
            outcome.stopped_at_gap = True
            break
        result, plan = _process(store, actor, m, now_ms, gate, clock)
        if plan is not None:
            for record, applied in plan.writes:
                store.put(record, applied)
                outcome.applied.append(applied)
            for collection, record_id, delta in plan.set_deltas:
                store.save_set_delta(collection, record_id, actor.device_id, delta)
        store.save_answer(actor.device_id, result)
        outcome.results.append(result)
    return outcome


def server_write(
    store: Store,
    collection: str,
    record_id: str,
    fields: dict[str, Any],
    *,
    now_ms: int,
    clock: ServerClock,
    actor: Actor | None = None,
    deleted: bool | None = None,
) -> Applied:
    """A write by the server itself (rules, the deadline checker, seeding).

    It bypasses device policies (it may set ``server`` and ``immutable`` fields and ignores
    state machines) but not the field shapes, and it versions and clocks the record like any
    write so devices pull it and later device edits see it as concurrent.  Raises
    :class:`~sync.model.Rejected` on an unknown collection or field or a bad value.  When it
    changes nothing, nothing is written and the returned ``Applied`` has no changes.
    """
    coll = collection_for(collection, writing=False)
    current = store.get(collection, record_id)
    validate_fields(coll, fields, current, device=False)
    now = rfc3339_from_ms(now_ms)
    hlc = clock.tick(now_ms)
    if current is None:
        after = Record(
            collection,
            record_id,
            0,
            False,
            {},
            {},
            {},
            now,
            now,
            None if actor is None else actor.user_id,
        )
        base = after.copy()
    else:
        after, base = current.copy(), current
    after = bump(after, now)
    changes: dict[str, tuple[Any, Any]] = {}
    for name in sorted(fields):
        old = base.fields.get(name)
        if current is None or name not in base.fields or not same(old, fields[name]):
            set_field(after, name, fields[name], hlc)
            changes[name] = (old, fields[name])
    if deleted is not None and deleted != base.deleted:
        after.deleted = deleted
        after.field_versions[DELETED_KEY] = after.version
        after.field_clocks[DELETED_KEY] = hlc
        changes[DELETED_KEY] = (base.deleted, deleted)
    applied = Applied(collection, record_id, current, after, changes, None, actor)
    if current is not None and not changes:
        applied.after = current
        return applied
    store.put(after, applied)
    return applied
