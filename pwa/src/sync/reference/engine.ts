/**
 * The push algorithm (sync/engine.py, planner.py, conflicts.py, sessions.py, context.py) in
 * TypeScript, over MemoryStore. Every mutation is planned completely before anything is written.
 */
import { canonical, mergeField, mergeSet, reject, Rejected, sameValue } from "../merge";
import { formatHlc, parseHlc } from "../hlc";
import { schema } from "../../schema";
import {
  clone, copyRecord, DELETED_KEY, result, type Actor, type Applied, type Mutation, type ResultJson, type SetDelta, type SyncRecord,
} from "./model";
import { ACTIVE_SESSION_STATES, type MemoryStore } from "./store";
import { parseRfc3339, rfc3339FromMs } from "./times";
import { uuid5 } from "./uuid5";
import {
  collectionFor, SERVER_CREATED, validateEnvelope, validateFields, validateRequired, validateValue, type NamedCollection,
} from "./validate";

const MAX_SKEW_MS = 300_000;
const SERVER_DEVICE = "server";
const CONFLICT_NAMESPACE = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";
const HLC_RE = /^(\d{13})-([0-9a-f]{4})-([A-Za-z0-9_.:\-]{1,64})$/;
const DELETE_KINDS = ["delete_vs_edit", "edit_vs_delete"];
const BOOKING_FIELDS = new Set(["starts_at", "ends_at", "room_id", "status", "psychologist_id"]);

export function conflictId(mutationId: string, field: string | null): string {
  return uuid5(CONFLICT_NAMESPACE, `doorstep-conflict:${mutationId}:${field ?? "_record"}`);
}

function hlcDevice(v: string | undefined): string | null {
  if (v === undefined) return null;
  const m = HLC_RE.exec(v);
  return m ? m[3]! : null;
}

/** Issues monotonic HLCs at the server's receive time (sync/hlc.py ServerClock). */
export class ServerClock {
  constructor(public last: string | null = null) {}
  tick(nowMs: number, deviceId = SERVER_DEVICE): string {
    let ms = nowMs;
    let counter = 0;
    if (this.last !== null) {
      const prev = parseHlc(this.last)!;
      if (prev.ms >= nowMs) {
        ms = prev.ms;
        counter = prev.counter + 1;
        if (counter > 0xffff) {
          ms = prev.ms + 1;
          counter = 0;
        }
      }
    }
    this.last = formatHlc(ms, counter, SERVER_DEVICE);
    return formatHlc(ms, counter, deviceId);
  }
}

/** Permissions, as the server's gate: return an error object to reject. */
export type Gate = (actor: Actor, collection: string, current: SyncRecord | null, proposed: Record<string, unknown>, op: string) =>
  { code: string; message: string; details: Record<string, unknown> } | null;

interface Plan {
  status: string;
  record_version: number | null;
  writes: [SyncRecord, Applied][];
  conflict_ids: string[];
  /** recorded with the answer, even when nothing was written */
  set_deltas?: [string, string, SetDelta][];
}

class Ctx {
  constructor(
    readonly store: MemoryStore, readonly actor: Actor, readonly m: Mutation, readonly hlc: string,
    readonly nowMs: number, readonly now: string, readonly gate: Gate | null,
  ) {}

  askGate(collection: string, current: SyncRecord | null, proposed: Record<string, unknown>, op: string): void {
    const err = this.gate?.(this.actor, collection, current, proposed, op);
    if (err) throw new Rejected(err);
  }

  /** Another device wrote `key` after the base (own queued edits are not "others"). */
  byOthers(r: SyncRecord, key: string): boolean {
    if ((r.field_versions[key] ?? 0) <= this.m.base_version) return false;
    return hlcDevice(r.field_clocks[key]) !== this.actor.device_id;
  }

  othersChanged(r: SyncRecord): boolean {
    return Object.keys(r.field_versions).some((k) => this.byOthers(r, k));
  }

  writerUser(r: SyncRecord, key: string): string | null {
    const device = hlcDevice(r.field_clocks[key]);
    return device === null ? null : this.store.deviceUser(device);
  }

  baseFields(r: SyncRecord): Record<string, unknown> | null {
    const base = this.m.base_version;
    if (base === 0) return {};
    if (base === r.version) return clone(r.fields);
    return this.store.getSnapshot(r.collection, r.id, base);
  }

  applied(after: SyncRecord): Applied {
    return { collection: after.collection, record_id: after.id, after, actor: this.actor };
  }
}

function bump(r: SyncRecord, now: string): SyncRecord {
  const out = copyRecord(r);
  out.version += 1;
  out.updated_at = now;
  return out;
}

function setField(r: SyncRecord, name: string, value: unknown, hlc: string): void {
  r.fields[name] = value;
  r.field_versions[name] = r.version;
  r.field_clocks[name] = hlc;
}

// -- psych bookings -----------------------------------------------------------------------

function checkTimeOrder(collection: string, fields: Record<string, unknown>): void {
  if (collection !== "psych_sessions" && collection !== "psych_slots") return;
  const s = parseRfc3339(fields["starts_at"]);
  const e = parseRfc3339(fields["ends_at"]);
  if (s !== null && e !== null && !(e > s)) {
    throw reject("validation", `${collection}.ends_at must be after starts_at`, { field: "ends_at", problem: "must be after starts_at", type: "datetime" });
  }
}

function overlapping(store: MemoryStore, fields: Record<string, unknown>, exclude: string): SyncRecord[] {
  const found = new Map<string, SyncRecord>();
  const q = { starts_before: fields["ends_at"], ends_after: fields["starts_at"] };
  if (fields["psychologist_id"] !== undefined && fields["psychologist_id"] !== null) {
    for (const r of store.findSessions({ ...q, psychologist_id: fields["psychologist_id"] })) found.set(r.id, r);
  }
  if (fields["room_id"] !== undefined && fields["room_id"] !== null) {
    for (const r of store.findSessions({ ...q, room_id: fields["room_id"] })) found.set(r.id, r);
  }
  found.delete(exclude);
  return [...found.values()].sort((a, b) => parseRfc3339(a.fields["starts_at"])! - parseRfc3339(b.fields["starts_at"])! || (a.id < b.id ? -1 : 1));
}

function suggestedSlots(store: MemoryStore, psychologistId: string, now: string, exclude: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const slot of store.openSlots(psychologistId, now)) {
    const f = slot.fields;
    const probe = { starts_at: f["starts_at"], ends_at: f["ends_at"], psychologist_id: psychologistId, room_id: f["room_id"] ?? null };
    if (overlapping(store, probe, exclude).length) continue;
    out.push({ slot_id: slot.id, starts_at: f["starts_at"], ends_at: f["ends_at"], room_id: f["room_id"] ?? null });
    if (out.length === 5) break;
  }
  return out;
}

function checkBooking(store: MemoryStore, r: SyncRecord, changed: Set<string>, created: boolean, now: string): void {
  if (r.collection !== "psych_sessions" || r.deleted) return;
  const f = r.fields;
  if (!ACTIVE_SESSION_STATES.includes(f["status"] as string)) return;
  if (!created && ![...changed].some((c) => BOOKING_FIELDS.has(c))) return;
  if (parseRfc3339(f["starts_at"]) === null || parseRfc3339(f["ends_at"]) === null) return;
  const clashes = overlapping(store, f, r.id);
  if (!clashes.length) return;
  const psy = f["psychologist_id"];
  throw reject("slot_taken", "the psychologist or the room is already booked at that time", {
    conflicting_session_id: clashes[0]!.id,
    suggested_slots: typeof psy === "string" ? suggestedSlots(store, psy, now, r.id) : [],
  });
}

// -- conflicts ------------------------------------------------------------------------------

function openConflict(ctx: Ctx, target: SyncRecord, field: string | null, kind: string,
  v: { base: unknown; theirs: unknown; yours: unknown; theirs_by: string | null }): [SyncRecord, Applied] {
  const fields: Record<string, unknown> = {
    target_collection: target.collection, target_id: target.id, field, kind,
    base: v.base ?? null, theirs: v.theirs ?? null, yours: v.yours ?? null, theirs_by: v.theirs_by, yours_by: ctx.actor.user_id,
    status: "open", resolution: null, resolved_by: null,
  };
  const record: SyncRecord = {
    collection: "conflicts", id: conflictId(ctx.m.id, field), version: 1, deleted: false, fields: clone(fields),
    field_versions: Object.fromEntries(Object.keys(fields).map((k) => [k, 1])),
    field_clocks: Object.fromEntries(Object.keys(fields).map((k) => [k, ctx.hlc])),
    created_at: ctx.now, updated_at: ctx.now, created_by: ctx.actor.user_id,
  };
  return [record, ctx.applied(record)];
}

function validateResolution(conflict: SyncRecord, value: unknown): void {
  const kind = conflict.fields["kind"] as string;
  if (DELETE_KINDS.includes(kind)) {
    if (typeof value !== "boolean") {
      throw reject("validation", "a delete conflict is resolved with true (deleted) or false (kept)", { field: "resolution", problem: "must be true or false", type: "boolean" });
    }
    return;
  }
  const coll = schema().collections[String(conflict.fields["target_collection"])];
  const name = conflict.fields["field"] as string;
  if (!coll || !(name in coll.fields)) return;
  try {
    validateValue(String(conflict.fields["target_collection"]), name, value);
  } catch (e) {
    if (!(e instanceof Rejected)) throw e;
    throw reject("validation", e.error.message, { field: "resolution", target_field: name, problem: e.error.details["problem"] ?? null });
  }
}

function reapplyEdit(ctx: Ctx, conflict: SyncRecord, out: SyncRecord, yours: Record<string, unknown>): boolean {
  const coll = schema().collections[out.collection]!;
  const base = conflict.fields["base"];
  let changed = false;
  for (const name of Object.keys(yours).sort()) {
    const f = coll.fields[name];
    let value = yours[name];
    if (!f || f.policy === "server" || f.policy === "immutable") continue;
    if (f.policy === "set" && Array.isArray(value)) {
      const baseValue = base && typeof base === "object" ? (base as Record<string, unknown>)[name] : null;
      value = mergeSet(baseValue, out.fields[name], value);
    }
    if (!sameValue(out.fields[name], value)) {
      setField(out, name, value, ctx.hlc);
      changed = true;
    }
  }
  return changed;
}

// Always a new version, even when the person kept the current value (see sync/conflicts.py).
function targetWrite(ctx: Ctx, conflict: SyncRecord, target: SyncRecord, value: unknown): SyncRecord {
  const kind = conflict.fields["kind"] as string;
  const out = bump(target, ctx.now);
  if (DELETE_KINDS.includes(kind)) {
    if (typeof value === "boolean") out.deleted = value;
    out.field_versions[DELETED_KEY] = out.version;
    out.field_clocks[DELETED_KEY] = ctx.hlc;
    const yours = conflict.fields["yours"];
    if (kind === "edit_vs_delete" && value === false && yours && typeof yours === "object" && !Array.isArray(yours)) {
      reapplyEdit(ctx, conflict, out, yours as Record<string, unknown>);
    }
  } else {
    setField(out, String(conflict.fields["field"]), value, ctx.hlc);
  }
  return out;
}

function planResolution(ctx: Ctx, conflict: SyncRecord): Plan {
  const m = ctx.m;
  validateFields(collectionFor("conflicts"), m.fields, conflict);
  if (conflict.fields["status"] === "resolved") {
    throw reject("invalid_transition", "this conflict is already resolved", { field: "status", from: "resolved", to: m.fields["status"] ?? "resolved" });
  }
  if (m.fields["status"] !== "resolved" || !("resolution" in m.fields)) {
    throw reject("validation", 'resolve a conflict with status "resolved" and a resolution', { field: "resolution", problem: "is required" });
  }
  const value = m.fields["resolution"];
  validateResolution(conflict, value);
  ctx.askGate("conflicts", conflict, clone(m.fields), m.op);
  const plan: Plan = { status: "applied", record_version: null, writes: [], conflict_ids: [] };
  const targetColl = String(conflict.fields["target_collection"]);
  const target = schema().collections[targetColl] ? ctx.store.get(targetColl, String(conflict.fields["target_id"])) : null;
  if (target) {
    collectionFor(targetColl, false);
    const kind = conflict.fields["kind"] as string;
    let op = "upsert";
    let proposed: Record<string, unknown>;
    if (DELETE_KINDS.includes(kind)) {
      op = value === true ? "delete" : "upsert";
      const yours = conflict.fields["yours"];
      proposed = value === false && yours && typeof yours === "object" ? clone(yours as Record<string, unknown>) : {};
    } else {
      proposed = { [String(conflict.fields["field"])]: value };
    }
    ctx.askGate(targetColl, target, proposed, op);
    const after = targetWrite(ctx, conflict, target, value);
    plan.writes.push([after, ctx.applied(after)]);
  }
  const resolved = bump(conflict, ctx.now);
  setField(resolved, "status", "resolved", ctx.hlc);
  setField(resolved, "resolution", value, ctx.hlc);
  setField(resolved, "resolved_by", ctx.actor.user_id, ctx.hlc);
  plan.writes.push([resolved, ctx.applied(resolved)]);
  plan.record_version = resolved.version;
  return plan;
}

// -- planning ---------------------------------------------------------------------------------

function planCreate(ctx: Ctx, coll: NamedCollection): Plan {
  const m = ctx.m;
  validateFields(coll, m.fields, null);
  validateRequired(coll, m.fields);
  ctx.askGate(coll.name, null, clone(m.fields), m.op);
  const names = Object.keys(m.fields).sort();
  const fields = Object.fromEntries(names.map((n) => [n, clone(m.fields[n])]));
  const record: SyncRecord = {
    collection: coll.name, id: m.record_id, version: 1, deleted: false, fields,
    field_versions: Object.fromEntries(names.map((n) => [n, 1])),
    field_clocks: Object.fromEntries(names.map((n) => [n, ctx.hlc])),
    created_at: ctx.now, updated_at: ctx.now, created_by: ctx.actor.user_id,
  };
  checkTimeOrder(coll.name, record.fields);
  checkBooking(ctx.store, record, new Set(names), true, ctx.now);
  const set_deltas = names.filter((n) => coll.fields[n]!.policy === "set")
    .map((n): [string, string, SetDelta] => [coll.name, record.id, delta(1, n, [], fields[n] as unknown[])]);
  return { status: "applied", record_version: 1, writes: [[record, ctx.applied(record)]], conflict_ids: [], set_deltas };
}

function delta(version: number, field: string, base: unknown[], yours: unknown[]): SetDelta {
  const baseKeys = new Set(base.map(canonical));
  const yourKeys = new Set(yours.map(canonical));
  return { version, field, added: yours.filter((x) => !baseKeys.has(canonical(x))), removed: base.filter((x) => !yourKeys.has(canonical(x))) };
}

function lastOtherUser(ctx: Ctx, r: SyncRecord): string | null {
  const keys = Object.keys(r.field_versions).filter((k) => ctx.byOthers(r, k));
  if (!keys.length) return null;
  const latest = keys.reduce((a, b) => {
    const va = r.field_versions[a]!, vb = r.field_versions[b]!;
    return vb > va || (vb === va && b > a) ? b : a;
  });
  return ctx.writerUser(r, latest);
}

function planDelete(ctx: Ctx, current: SyncRecord): Plan {
  if (current.deleted) {
    return { status: ctx.byOthers(current, DELETED_KEY) ? "merged" : "applied", record_version: current.version, writes: [], conflict_ids: [] };
  }
  if (ctx.othersChanged(current)) {
    const [rec, ap] = openConflict(ctx, current, null, "delete_vs_edit", {
      base: ctx.baseFields(current), theirs: clone(current.fields), yours: null, theirs_by: lastOtherUser(ctx, current),
    });
    return { status: "conflict", record_version: current.version, writes: [[rec, ap]], conflict_ids: [rec.id] };
  }
  const after = bump(current, ctx.now);
  after.deleted = true;
  after.field_versions[DELETED_KEY] = after.version;
  after.field_clocks[DELETED_KEY] = ctx.hlc;
  return { status: "applied", record_version: after.version, writes: [[after, ctx.applied(after)]], conflict_ids: [] };
}

/** The device's local view when it edited: the base snapshot plus its own later deltas. */
function setBase(ctx: Ctx, name: string, base: Record<string, unknown> | null, deltas: SetDelta[]): unknown[] {
  const raw = base === null ? null : base[name];
  let view: unknown[] = Array.isArray(raw) ? [...raw] : [];
  for (const d of deltas) {
    if (d.field !== name || d.version <= ctx.m.base_version) continue;
    const removed = new Set(d.removed.map(canonical));
    view = view.filter((x) => !removed.has(canonical(x)));
    const keys = new Set(view.map(canonical));
    view.push(...d.added.filter((x) => !keys.has(canonical(x))));
  }
  return view;
}

function planUpdate(ctx: Ctx, coll: NamedCollection, current: SyncRecord): Plan {
  const m = ctx.m;
  if (current.deleted) {
    if (ctx.byOthers(current, DELETED_KEY)) {
      const [rec, ap] = openConflict(ctx, current, null, "edit_vs_delete", {
        base: ctx.baseFields(current), theirs: null, yours: clone(m.fields), theirs_by: ctx.writerUser(current, DELETED_KEY),
      });
      return { status: "conflict", record_version: current.version, writes: [[rec, ap]], conflict_ids: [rec.id] };
    }
    throw reject("not_found", `${coll.name} ${m.record_id} was deleted`, { record_id: m.record_id, deleted: true });
  }
  const base = ctx.baseFields(current);
  const hasSets = Object.keys(m.fields).some((n) => coll.fields[n]!.policy === "set");
  const deltas = hasSets ? ctx.store.setDeltas(coll.name, current.id, ctx.actor.device_id) : [];
  const setBases = new Map<string, unknown[]>();
  const after = bump(current, ctx.now);
  const changed = new Set<string>();
  let touched = false; // a write may only move a field's clock (see mergeLww)
  const conflicts: [SyncRecord, Applied][] = [];
  for (const name of Object.keys(m.fields).sort()) {
    const f = coll.fields[name]!;
    const yours = m.fields[name];
    const theirs = current.fields[name];
    let fieldBase: unknown;
    if (f.policy === "set") {
      if (!setBases.has(name)) setBases.set(name, setBase(ctx, name, base, deltas));
      fieldBase = setBases.get(name);
    } else {
      fieldBase = base === null ? null : base[name];
    }
    const outcome = mergeField(name, f.policy, coll.states?.[name], {
      base: fieldBase, theirs, yours, concurrent: ctx.byOthers(current, name),
      theirsHlc: current.field_clocks[name], yoursHlc: ctx.hlc,
    });
    if (outcome.kind === "apply") {
      setField(after, name, outcome.value, ctx.hlc);
      touched = true;
      if (!sameValue(theirs, outcome.value)) changed.add(name);
    } else if (outcome.kind === "conflict") {
      conflicts.push(openConflict(ctx, current, name, outcome.conflictKind ?? "field", {
        base: fieldBase, theirs, yours, theirs_by: ctx.writerUser(current, name),
      }));
    }
  }
  const plan: Plan = { status: ctx.othersChanged(current) ? "merged" : "applied", record_version: current.version, writes: [], conflict_ids: [] };
  if (touched) {
    checkTimeOrder(coll.name, after.fields);
    checkBooking(ctx.store, after, changed, false, ctx.now);
    plan.writes.push([after, ctx.applied(after)]);
    plan.record_version = after.version;
  }
  plan.set_deltas = [...setBases].map(([name, view]): [string, string, SetDelta] =>
    [coll.name, current.id, delta(plan.record_version ?? current.version, name, view, m.fields[name] as unknown[])]);
  if (conflicts.length) {
    plan.status = "conflict";
    plan.writes.push(...conflicts);
    plan.conflict_ids = conflicts.map(([r]) => r.id);
  }
  return plan;
}

function planMutation(ctx: Ctx): Plan {
  const m = ctx.m;
  validateEnvelope(m);
  const coll = collectionFor(m.collection);
  const current = ctx.store.get(coll.name, m.record_id);
  if (current === null) {
    if (m.base_version > 0 || m.op === "delete") throw reject("not_found", `${coll.name} ${m.record_id} does not exist`, { record_id: m.record_id });
    if (SERVER_CREATED.has(coll.name)) throw reject("forbidden", `${coll.name} records are created by the server only`, { collection: coll.name });
    return planCreate(ctx, coll);
  }
  if (SERVER_CREATED.has(coll.name) && m.op === "delete") throw reject("forbidden", `${coll.name} records cannot be deleted`, { collection: coll.name });
  if (m.base_version > current.version) {
    throw reject("validation", `base_version ${m.base_version} is newer than the server's ${current.version}`, { field: "base_version", server_version: current.version });
  }
  if (coll.name === "conflicts") return planResolution(ctx, current);
  validateFields(coll, m.fields, current);
  ctx.askGate(coll.name, current, clone(m.fields), m.op);
  if (m.op === "delete") return planDelete(ctx, current);
  return planUpdate(ctx, coll, current);
}

function effectiveHlc(m: Mutation, actor: Actor, nowMs: number, clock: ServerClock): [string, boolean] {
  const parsed = HLC_RE.exec(m.hlc);
  if (!parsed) throw reject("validation", `not an hlc: '${m.hlc}'`, { field: "hlc" });
  if (parsed[3] !== actor.device_id) throw reject("validation", "hlc must end with the pushing device's id", { field: "hlc" });
  if (Number(parsed[1]) > nowMs + MAX_SKEW_MS) return [clock.tick(nowMs, actor.device_id), true];
  return [m.hlc, false];
}

export interface PushOutcome {
  results: ResultJson[];
  stopped_at_gap: boolean;
}

/** Answers a device's batch in seq order (SYNC_PROTOCOL.md "Push"). */
export function push(store: MemoryStore, actor: Actor, mutations: Mutation[], nowMs: number, gate: Gate | null, clock: ServerClock): PushOutcome {
  const out: PushOutcome = { results: [], stopped_at_gap: false };
  for (const m of [...mutations].sort((a, b) => a.seq - b.seq)) {
    const last = store.lastSeq(actor.device_id);
    if (m.seq <= last) {
      out.results.push(store.getAnswer(actor.device_id, m.seq) ??
        result(m.id, m.seq, "rejected", null, [], false, { code: "validation", message: "this change was answered before and the answer is no longer kept", details: { reason: "answer_expired" } }));
      continue;
    }
    if (m.seq > last + 1) {
      out.results.push(result(m.id, m.seq, "rejected", null, [], false, { code: "seq_gap", message: `expected seq ${last + 1}, got ${m.seq}; resend from ${last + 1}`, details: { expected_seq: last + 1 } }));
      out.stopped_at_gap = true;
      break;
    }
    let adjusted = false;
    let res: ResultJson;
    let plan: Plan | null = null;
    try {
      const [hlc, adj] = effectiveHlc(m, actor, nowMs, clock);
      adjusted = adj;
      plan = planMutation(new Ctx(store, actor, m, hlc, nowMs, rfc3339FromMs(nowMs), gate));
      res = result(m.id, m.seq, plan.status, plan.record_version, plan.conflict_ids, adjusted, null);
    } catch (e) {
      if (!(e instanceof Rejected)) throw e;
      res = result(m.id, m.seq, "rejected", null, [], adjusted, e.error);
      plan = null;
    }
    for (const [record, applied] of plan?.writes ?? []) store.put(record, applied);
    for (const [collection, recordId, d] of plan?.set_deltas ?? []) store.saveSetDelta(collection, recordId, actor.device_id, d);
    store.saveAnswer(actor.device_id, res);
    out.results.push(res);
  }
  return out;
}
