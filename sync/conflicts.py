"""Conflict records: opening them, and resolving them by a person's upsert.

A conflict is an ordinary synced record (collection ``conflicts``) so that it reaches every
device involved through the normal pull, and a resolution is an ordinary push.
"""

from __future__ import annotations

from typing import Any

from .context import Ctx, Plan, bump, conflict_id, set_field
from .model import DELETED_KEY, Applied, Record, reject
from .policies import merge_set, same
from .schema import COLLECTIONS, Field, collection, enum_field, ref_field, string_field
from .validate import collection_for, validate_fields, validate_value

DELETE_KINDS = ("delete_vs_edit", "edit_vs_delete")
CONFLICT_STATES: dict[str, tuple[str, ...]] = {"open": ("resolved",), "resolved": ()}

#: The shape of the conflict records this module writes.  The engine owns it, the server
#: registers it (server/conflicts/) with who may read and resolve a conflict.
CONFLICTS = collection(
    "conflicts",
    [
        string_field("target_collection", "server", max_length=64),
        Field("target_id", "ref", "server"),
        string_field("field", "server", max_length=64),
        enum_field("kind", "field delete_vs_edit edit_vs_delete state", "server"),
        Field("base", "any", "server"),
        Field("theirs", "any", "server"),
        Field("yours", "any", "server"),
        ref_field("theirs_by", "users", "server"),
        ref_field("yours_by", "users", "server"),
        enum_field("status", " ".join(CONFLICT_STATES), "state"),
        Field("resolution", "any", "lww"),
        ref_field("resolved_by", "users", "server"),
    ],
    states={"status": CONFLICT_STATES},
    server_created=True,
    initial_states={"status": "open"},
)


def open_conflict(
    ctx: Ctx,
    target: Record,
    field_name: str | None,
    kind: str,
    *,
    base: Any,
    theirs: Any,
    yours: Any,
    theirs_by: str | None,
) -> tuple[Record, Applied]:
    """A new conflict record (version 1) and its write.

    The conflict's id derives from the mutation id, so a mutation id reused under a new seq (a
    buggy or hostile client) would name a conflict that already exists: that mutation is
    rejected rather than overwriting the first conflict (or failing on its unique id).
    """
    record_id = conflict_id(ctx.mutation.id, field_name)
    if ctx.store.get("conflicts", record_id) is not None:
        raise reject(
            "validation",
            "this mutation id was already used for another change; send a new id",
            field="id",
            reason="mutation_id_reused",
        )
    fields: dict[str, Any] = {
        "target_collection": target.collection,
        "target_id": target.id,
        "field": field_name,
        "kind": kind,
        "base": base,
        "theirs": theirs,
        "yours": yours,
        "theirs_by": theirs_by,
        "yours_by": ctx.actor.user_id,
        "status": "open",
        "resolution": None,
        "resolved_by": None,
    }
    record = Record(
        "conflicts",
        record_id,
        version=1,
        fields=fields,
        field_versions={name: 1 for name in fields},
        field_clocks={name: ctx.hlc for name in fields},
        created_at=ctx.now,
        updated_at=ctx.now,
        created_by=ctx.actor.user_id,
    )
    changes = {name: (None, value) for name, value in fields.items()}
    applied = Applied("conflicts", record.id, None, record, changes, ctx.mutation.id, ctx.actor)
    return record, applied


def _validate_resolution(conflict: Record, value: Any) -> None:
    kind = conflict.fields.get("kind")
    if kind in DELETE_KINDS:
        if not isinstance(value, bool):
            raise reject(
                "validation",
                "a delete conflict is resolved with true (deleted) or false (kept)",
                field="resolution",
                problem="must be true or false",
                type="boolean",
            )
        return
    collection, name = conflict.fields.get("target_collection"), conflict.fields.get("field")
    coll = COLLECTIONS.get(str(collection))
    if coll is None or name not in coll.fields:
        return  # a conflict on a field a newer schema dropped: keep the value as it is
    try:
        validate_value(coll.name, str(name), value)
    except Exception as exc:  # re-label: the client edited `resolution`, not the target field
        error = getattr(exc, "error", None)
        if error is None:
            raise
        raise reject(
            "validation",
            error.message,
            field="resolution",
            target_field=name,
            problem=error.details.get("problem"),
        ) from exc


def _target_write(ctx: Ctx, conflict: Record, target: Record, value: Any) -> Record:
    """The target as the resolution leaves it.

    It is always a new version, even when the person kept the current value: SYNC_PROTOCOL.md
    says the server writes the resolution to the target, and the new field clock makes any
    edit still based on the pre-resolution version concurrent with the person's decision.
    """
    kind = conflict.fields.get("kind")
    out = bump(target, ctx.now)
    if kind in DELETE_KINDS:
        if isinstance(value, bool):
            out.deleted = value
        out.field_versions[DELETED_KEY] = out.version
        out.field_clocks[DELETED_KEY] = ctx.hlc
        yours = conflict.fields.get("yours")
        if kind == "edit_vs_delete" and value is False and isinstance(yours, dict):
            _reapply_edit(ctx, conflict, out, yours)
    else:
        set_field(out, str(conflict.fields.get("field")), value, ctx.hlc)
    return out


def _reapply_edit(ctx: Ctx, conflict: Record, out: Record, yours: dict[str, Any]) -> bool:
    """Undeleting after an edit_vs_delete also applies the edit that was held back."""
    coll = COLLECTIONS[out.collection]
    base = conflict.fields.get("base")
    changed = False
    for name, value in sorted(yours.items()):
        f = coll.fields.get(name)
        if f is None or f.policy in ("server", "immutable"):
            continue
        if f.policy == "set" and isinstance(value, list):
            base_value = base.get(name) if isinstance(base, dict) else None
            value = merge_set(base_value, out.fields.get(name), value)
        if not same(out.fields.get(name), value):
            set_field(out, name, value, ctx.hlc)
            changed = True
    return changed


def plan_resolution(ctx: Ctx, conflict: Record) -> Plan:
    """An upsert on an existing conflict: ``{"status": "resolved", "resolution": value}``."""
    m = ctx.mutation
    coll = CONFLICTS
    validate_fields(coll, m.fields, conflict)
    if conflict.fields.get("status") == "resolved":
        raise reject(
            "invalid_transition",
            "this conflict is already resolved",
            field="status",
            **{"from": "resolved", "to": m.fields.get("status", "resolved")},
        )
    if m.fields.get("status") != "resolved" or "resolution" not in m.fields:
        raise reject(
            "validation",
            'resolve a conflict with status "resolved" and a resolution',
            field="resolution",
            problem="is required",
        )
    value = m.fields["resolution"]
    _validate_resolution(conflict, value)
    ctx.ask_gate("conflicts", conflict, dict(m.fields), m.op)

    plan = Plan("applied", None)
    target_coll = str(conflict.fields.get("target_collection"))
    target_id = str(conflict.fields.get("target_id"))
    target = ctx.store.get(target_coll, target_id) if target_coll in COLLECTIONS else None
    if target is not None:
        collection_for(target_coll, writing=False)
        kind = conflict.fields.get("kind")
        if kind in DELETE_KINDS:
            op = "delete" if value is True else "upsert"
            yours = conflict.fields.get("yours")
            proposed = dict(yours) if value is False and isinstance(yours, dict) else {}
        else:
            op, proposed = "upsert", {str(conflict.fields.get("field")): value}
        ctx.ask_gate(target_coll, target, proposed, op)
        after = _target_write(ctx, conflict, target, value)
        changes = {
            k: (target.fields.get(k), after.fields.get(k))
            for k in after.fields
            if not same(target.fields.get(k), after.fields.get(k))
        }
        if after.deleted != target.deleted:
            changes[DELETED_KEY] = (target.deleted, after.deleted)
        plan.writes.append(
            (after, Applied(target_coll, target_id, target, after, changes, m.id, ctx.actor))
        )

    resolved = bump(conflict, ctx.now)
    set_field(resolved, "status", "resolved", ctx.hlc)
    set_field(resolved, "resolution", value, ctx.hlc)
    set_field(resolved, "resolved_by", ctx.actor.user_id, ctx.hlc)
    changes = {
        "status": ("open", "resolved"),
        "resolution": (conflict.fields.get("resolution"), value),
        "resolved_by": (conflict.fields.get("resolved_by"), ctx.actor.user_id),
    }
    plan.writes.append(
        (resolved, Applied("conflicts", conflict.id, conflict, resolved, changes, m.id, ctx.actor))
    )
    plan.record_version = resolved.version
    return plan
