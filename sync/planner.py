"""Planning one device mutation: create, update (field by field) or delete.

A planner only reads the store and returns a :class:`Plan`; the engine writes the plan.  That is
what makes each mutation all-or-nothing: any rejection is raised before the first write.
"""

from __future__ import annotations

from typing import Any

from .conflicts import open_conflict, plan_resolution
from .context import Ctx, Plan, bump, set_field
from .model import DELETED_KEY, Applied, Record, SetDelta, reject
from .policies import APPLY, CONFLICT, merge_field, same
from .schema import Collection
from .sessions import check_booking, check_time_order
from .validate import (
    canonical_json,
    collection_for,
    validate_envelope,
    validate_fields,
    validate_required,
)


def plan_mutation(ctx: Ctx) -> Plan:
    """Route a mutation to the planner of its kind, after the checks every kind shares."""
    m = ctx.mutation
    validate_envelope(m)
    coll = collection_for(m.collection)
    current: Record | None = ctx.store.get(coll.name, m.record_id)
    if current is None:
        if m.base_version > 0 or m.op == "delete":
            raise reject(
                "not_found", f"{coll.name} {m.record_id} does not exist", record_id=m.record_id
            )
        if coll.server_created:
            raise reject(
                "forbidden",
                f"{coll.name} records are created by the server only",
                collection=coll.name,
            )
        return _plan_create(ctx, coll)
    if coll.server_created and m.op == "delete":
        raise reject("forbidden", f"{coll.name} records cannot be deleted", collection=coll.name)
    if m.base_version > current.version:
        raise reject(
            "validation",
            f"base_version {m.base_version} is newer than the server's {current.version}",
            field="base_version",
            server_version=current.version,
        )
    if coll.name == "conflicts":
        return plan_resolution(ctx, current)
    validate_fields(coll, m.fields, current)
    ctx.ask_gate(coll.name, current, dict(m.fields), m.op)
    if m.op == "delete":
        return _plan_delete(ctx, current)
    return _plan_update(ctx, coll, current)


def _plan_create(ctx: Ctx, coll: Collection) -> Plan:
    m = ctx.mutation
    validate_fields(coll, m.fields, None)
    validate_required(coll, m.fields)
    given = dict(m.fields)
    starts = ctx.start_states(coll, given)
    for name, start in (starts or {}).items():
        given.setdefault(name, start)
    ctx.ask_gate(coll.name, None, given, m.op)
    if starts is not None:
        _check_start_states(coll, starts, m.fields)
    fields = {name: given[name] for name in sorted(given)}
    record = Record(
        coll.name,
        m.record_id,
        version=1,
        fields=fields,
        field_versions={name: 1 for name in fields},
        field_clocks={name: ctx.hlc for name in fields},
        created_at=ctx.now,
        updated_at=ctx.now,
        created_by=ctx.actor.user_id,
    )
    check_time_order(coll.name, record.fields)
    check_booking(ctx.store, record, set(fields), True, ctx.now)
    changes = {name: (None, value) for name, value in fields.items()}
    applied = Applied(coll.name, record.id, None, record, changes, m.id, ctx.actor)
    plan = Plan("applied", 1, [(record, applied)])
    for name, value in fields.items():
        if coll.fields[name].policy == "set":
            plan.set_deltas.append((coll.name, record.id, _delta(1, name, [], value)))
    return plan


def _check_start_states(coll: Collection, starts: dict[str, str], given: dict[str, Any]) -> None:
    """A create naming a later state than its start would skip the machine's checks (a dispute
    born `closed`, an order born `completed`): `invalid_transition` (COMMAND_API "Lifecycle
    facts").  Asked after the gate, so a writer who may not set the state at all (a referrer
    scheduling a session) hears `forbidden`.  The schema's own start stays allowed beside a
    per-writer one (a psychologist may still book a session as `requested`)."""
    for name, start in starts.items():
        value = given.get(name)
        if value is not None and value not in (start, coll.initial_states.get(name)):
            raise reject(
                "invalid_transition",
                f"a new {coll.name} record starts as {start}, not {value}",
                field=name,
                collection=coll.name,
                **{"from": None, "to": value},
            )


def _delta(version: int, name: str, base: list[Any], yours: list[Any]) -> SetDelta:
    base_keys = {canonical_json(x) for x in base}
    your_keys = {canonical_json(x) for x in yours}
    return SetDelta(
        version,
        name,
        tuple(x for x in yours if canonical_json(x) not in base_keys),
        tuple(x for x in base if canonical_json(x) not in your_keys),
    )


def _last_other_user(ctx: Ctx, record: Record) -> str | None:
    """The user behind the most recent change by others (a delete conflict's ``theirs_by``)."""
    keys = [k for k in record.field_versions if ctx.by_others(record, k)]
    if not keys:
        return None
    latest = max(keys, key=lambda k: (record.field_versions[k], k))
    return ctx.writer_user(record, latest)


def _plan_delete(ctx: Ctx, current: Record) -> Plan:
    """Tombstone the record, unless others edited it since the base (delete_vs_edit)."""
    m = ctx.mutation
    if current.deleted:
        status = "merged" if ctx.by_others(current, DELETED_KEY) else "applied"
        return Plan(status, current.version)
    if ctx.others_changed(current):
        record, applied = open_conflict(
            ctx,
            current,
            None,
            "delete_vs_edit",
            base=ctx.base_fields(current),
            theirs=dict(current.fields),
            yours=None,
            theirs_by=_last_other_user(ctx, current),
        )
        return Plan("conflict", current.version, [(record, applied)], [record.id])
    after = bump(current, ctx.now)
    after.deleted = True
    after.field_versions[DELETED_KEY] = after.version
    after.field_clocks[DELETED_KEY] = ctx.hlc
    applied = Applied(
        current.collection,
        current.id,
        current,
        after,
        {DELETED_KEY: (False, True)},
        m.id,
        ctx.actor,
    )
    return Plan("applied", after.version, [(after, applied)])


def _set_base(
    ctx: Ctx, name: str, base: dict[str, Any] | None, deltas: list[SetDelta]
) -> list[Any]:
    """The base of a set merge: the device's local view when it made the edit.

    That is the snapshot at the base version plus the device's own earlier edits processed
    after that version (it had them locally, queued), replayed in order.
    """
    raw = None if base is None else base.get(name)
    view: list[Any] = list(raw) if isinstance(raw, list) else []
    for delta in deltas:
        if delta.field != name or delta.version <= ctx.mutation.base_version:
            continue
        removed = {canonical_json(x) for x in delta.removed}
        view = [x for x in view if canonical_json(x) not in removed]
        keys = {canonical_json(x) for x in view}
        view.extend(x for x in delta.added if canonical_json(x) not in keys)
    return view


def _plan_update(ctx: Ctx, coll: Collection, current: Record) -> Plan:
    """Merge field by field; open conflicts for what a person must decide."""
    m = ctx.mutation
    if current.deleted:
        if ctx.by_others(current, DELETED_KEY):
            record, applied = open_conflict(
                ctx,
                current,
                None,
                "edit_vs_delete",
                base=ctx.base_fields(current),
                theirs=None,
                yours=dict(m.fields),
                theirs_by=ctx.writer_user(current, DELETED_KEY),
            )
            return Plan("conflict", current.version, [(record, applied)], [record.id])
        raise reject(
            "not_found",
            f"{coll.name} {m.record_id} was deleted",
            record_id=m.record_id,
            deleted=True,
        )

    base = ctx.base_fields(current)
    has_sets = any(coll.fields[n].policy == "set" for n in m.fields)
    deltas: list[SetDelta] = (
        ctx.store.set_deltas(coll.name, current.id, ctx.actor.device_id) if has_sets else []
    )
    set_bases: dict[str, list[Any]] = {}
    after = bump(current, ctx.now)
    changes: dict[str, tuple[Any, Any]] = {}
    touched = False  # a write may only move a field's clock (see policies.merge_lww)
    discarded: dict[str, Any] = {}
    conflicts: list[tuple[Record, Applied]] = []
    for name in sorted(m.fields):
        f = coll.fields[name]
        yours, theirs = m.fields[name], current.fields.get(name)
        if f.policy == "set":
            field_base: Any = set_bases.setdefault(name, _set_base(ctx, name, base, deltas))
        else:
            field_base = None if base is None else base.get(name)
        outcome = merge_field(
            f,
            coll.states.get(name),
            base=field_base,
            theirs=theirs,
            yours=yours,
            concurrent=ctx.by_others(current, name),
            theirs_hlc=current.field_clocks.get(name),
            yours_hlc=ctx.hlc,
        )
        if outcome.has_discarded:
            discarded[name] = outcome.discarded
        if outcome.kind == APPLY:
            set_field(after, name, outcome.value, ctx.hlc)
            touched = True
            if not same(theirs, outcome.value):
                changes[name] = (theirs, outcome.value)
        elif outcome.kind == CONFLICT:
            conflicts.append(
                open_conflict(
                    ctx,
                    current,
                    name,
                    outcome.conflict_kind or "field",
                    base=field_base,
                    theirs=theirs,
                    yours=yours,
                    theirs_by=ctx.writer_user(current, name),
                )
            )

    plan = Plan("merged" if ctx.others_changed(current) else "applied", current.version)
    if touched:
        check_time_order(coll.name, after.fields)
        check_booking(ctx.store, after, set(changes), False, ctx.now)
        plan.writes.append(
            (
                after,
                Applied(coll.name, current.id, current, after, changes, m.id, ctx.actor, discarded),
            )
        )
        plan.record_version = after.version
    for name, view in set_bases.items():
        delta = _delta(plan.record_version or current.version, name, view, m.fields[name])
        plan.set_deltas.append((coll.name, current.id, delta))
    if conflicts:
        plan.status = "conflict"
        plan.writes.extend(conflicts)
        plan.conflict_ids = [record.id for record, _ in conflicts]
    return plan
