"""Push and pull (SYNC_PROTOCOL.md): the server side of the sync engine.

A push is one database transaction: lock the device, preload what the batch touches (and what
each collection's spec asks for), run the pure engine, let the domains react (warnings,
notifications; `CollectionSpec.reactions`) on the same working set, flush everything, commit,
then run the after-commit work (waking the push deliverer).  A pull reads the change feed after the cursor
and sends each record the reader may see, without the fields they may not read.
"""

from __future__ import annotations

import logging
import time
from uuid import UUID

from server import specs
from server.accounts.principal import Principal
from server.db import write_transaction
from server.http.errors import ApiError
from server.live import publish as publish_live
from server.org.tree import OrgTree, load_tree
from server.replication import attachments, prefilter
from server.replication.backends.current import backend
from server.replication.cursor import Cursor, decode_cursor, encode_cursor
from server.replication.gate import ScopeGate
from server.replication.reactions import react
from server.replication.rows import server_time, table_of
from server.replication.schemas import PullOut, PushOut, ResultOut
from server.replication.store import WorkingSet, mutation_keys, valid_ids
from server.replication.tables import FeedEntry
from server.replication.visible import load_feed_records, visible_change
from sync.engine import PushOutcome, answer_rejected, push, unprocessable_error
from sync.hlc import ServerClock
from sync.model import Actor, Mutation, Result

log = logging.getLogger("doorstep.sync")

_clock = ServerClock()


# ---------------------------------------------------------------------------------------------
# push


async def push_batch(principal: Principal, mutations: list[Mutation]) -> PushOut:
    """One transaction for the batch; if it cannot be stored, find the mutation that cannot.

    A failure at flush (a constraint, a value the database refuses, a bug in a reaction) rolls
    the whole batch back, and the device would resend the same batch forever.  So the batch is
    retried one mutation per transaction; a mutation that fails alone twice (twice: a lock
    timeout is not a poison pill) is answered `rejected` (`validation`, reason `unprocessable`)
    in a transaction that stores only that answer, and the rest go through.  Only when even
    that fails (the database is down) does the device get an error: a 503 to retry later.
    """
    actor = Actor(user_id=str(principal.user_id), device_id=str(principal.device_id))
    tree = await load_tree()
    try:
        results = await _push_in_one_transaction(principal, actor, tree, mutations)
    except ApiError:
        raise
    except Exception:
        log.exception("push of %d mutations failed; isolating the one that fails", len(mutations))
        results = []
        for m in sorted(mutations, key=lambda mu: mu.seq):
            answer = await _push_alone(principal, actor, tree, m)
            results.append(answer)
            if answer.error is not None and answer.error.code == "seq_gap":
                break
    return PushOut(server_time(), [ResultOut.of(r) for r in results])


async def _push_alone(principal: Principal, actor: Actor, tree: OrgTree, m: Mutation) -> Result:
    for _attempt in range(2):
        try:
            [result] = await _push_in_one_transaction(principal, actor, tree, [m])
            return result
        except ApiError:
            raise
        except Exception:
            log.exception("mutation %s (seq %s) could not be stored", m.id, m.seq)
    try:
        async with write_transaction():
            ws = WorkingSet(actor.device_id, actor.user_id)
            await ws.load_device([m.seq])
            result = answer_rejected(ws, actor, m, unprocessable_error())
            await ws.flush()
        return result
    except Exception as exc:
        raise ApiError(
            503,
            "unavailable",
            "the server cannot store changes right now; try again later",
            headers={"Retry-After": "30"},
        ) from exc


async def _push_in_one_transaction(
    principal: Principal, actor: Actor, tree: OrgTree, mutations: list[Mutation]
) -> list[Result]:
    async with write_transaction():
        ws = WorkingSet(actor.device_id, actor.user_id)
        await _preload(ws, mutations)
        named: set[str] = set()
        for m in mutations:
            named |= attachments.named_hashes(m.collection, m.fields)
        ws.memo[attachments.UNNAMEABLE] = await attachments.find_unnameable(principal, named)
        now_ms = int(time.time() * 1000)
        outcome: PushOutcome = push(
            ws,
            actor,
            mutations,
            now_ms=now_ms,
            gate=ScopeGate(principal, tree, ws),
            clock=_clock,
        )
        after_commit = await react(ws, outcome.applied, tree, now_ms=now_ms, clock=_clock)
        await ws.flush()
    # committed: now (never before) tell the live streams and the other app servers
    await publish_live(ws.changes)
    for callback in after_commit:
        callback()
    return outcome.results


async def _preload(ws: WorkingSet, mutations: list[Mutation]) -> None:
    await ws.load_device([m.seq for m in mutations])
    pending = [m for m in mutations if m.seq > ws.last_seq(ws.device_id)]
    keys = mutation_keys(pending)
    # records that decide a mutation's scope or outcome (a visit's dispute), then the records
    # the loaded ones need beside them (a conflict's target): each spec says which
    for m in pending:
        spec = specs.find(m.collection)
        if spec is not None:
            keys.update(spec.mutation_refs(m))
    loaded = await ws.load_records(_valid_keys(keys))
    extra: set[tuple[str, str]] = set()
    for record in loaded:
        extra.update(specs.get(record.collection).record_refs(record))
    loaded += await ws.load_records(_valid_keys(extra))
    await ws.load_snapshots(
        (m.collection, m.record_id, m.base_version) for m in pending if m.base_version > 0
    )
    await ws.load_set_deltas(keys)
    await ws.load_device_users(loaded)
    for spec in specs.all_specs():
        if spec.preload is not None:
            await spec.preload(ws, pending)


def _valid_keys(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(c, r) for c, r in keys if table_of(c) is not None and valid_ids({r})}


# ---------------------------------------------------------------------------------------------
# pull


async def pull_page(
    principal: Principal, cursor_text: str | None, limit: int, key: bytes
) -> PullOut:
    feed = await prefilter.read_feed_head()
    head = feed.seq
    tree = await prefilter.current_tree(await load_tree(), feed.tree)
    epoch = principal.scope_epoch  # read with the caller's device and user, one round trip
    org = str(principal.org_unit_id) if principal.org_unit_id else None
    rules = specs.rules_fingerprint()
    reset = False
    evict: list[dict[str, str]] = []
    start = 0
    if cursor_text:
        cursor = decode_cursor(key, cursor_text, str(principal.user_id))
        if cursor.seq > head:
            reset = True  # a cursor from another database, or one restored from a backup
        elif feed.horizon > max(cursor.seq, cursor.horizon):
            # a compaction since this cursor was issued removed tombstones after it: the device
            # may hold records whose delete it can no longer hear of, so it replaces its store
            # (a compaction before it removed only what a store built since never held)
            reset = True
        elif cursor.rules != rules:
            # The read rules changed (a new release): what this device may hold may have too.
            # Replacing its store drops whatever it may no longer hold.
            reset = True
        elif (cursor.epoch, cursor.role, cursor.org) != (epoch, principal.role, org):
            # The user's role or org unit changed: rebuild the device's store, and name what it
            # must drop (records it could see before and cannot now).
            reset = True
            evict = await _evictions(principal, tree, cursor)
        else:
            start = cursor.seq
    page = await backend().scan(principal, tree, start, limit, head)
    return PullOut(
        server_time=server_time(),
        cursor=encode_cursor(
            key,
            Cursor(
                page.last, epoch, principal.role, org, str(principal.user_id), rules, feed.horizon
            ),
        ),
        has_more=page.has_more,
        reset=reset,
        changes=page.changes,
        evict=evict + page.evict,
    )


async def _evictions(principal: Principal, tree: OrgTree, cursor: Cursor) -> list[dict[str, str]]:
    """Records the device held under the user's old role and org unit but may not hold under
    the new ones (not readable any more, or off a supervisor's device)."""
    before = Principal(
        user_id=principal.user_id,
        device_id=principal.device_id,
        username=principal.username,
        role=cursor.role,
        org_unit_id=UUID(cursor.org) if cursor.org else None,
    )
    evict: list[dict[str, str]] = []
    position = 0
    while position < cursor.seq:
        entries = (
            await FeedEntry.select(FeedEntry.seq, FeedEntry.collection, FeedEntry.record_id)
            .where(FeedEntry.seq > position, FeedEntry.seq <= cursor.seq)
            .order_by(FeedEntry.seq)
            .limit(2000)
        )
        if not entries:
            break
        records = await load_feed_records(backend(), entries)
        for entry in entries:
            position = int(entry["seq"])
            loaded = records.get((entry["collection"], str(entry["record_id"])))
            if loaded is None:
                continue
            # held on the device before (whole or reduced) and not now
            was = isinstance(visible_change(before, tree, loaded), dict)
            if was and not isinstance(visible_change(principal, tree, loaded), dict):
                evict.append({"collection": loaded[0].collection, "record_id": loaded[0].id})
    return evict


__all__ = ["pull_page", "push_batch"]
