/**
 * The optimistic view the screens read: each server record with this device's unanswered
 * mutations applied on top in seq order. Pending values win for lww/manual/state fields (the
 * server will merge or open a conflict), set fields are merged like the server merges them.
 */
import { getRecord, listRecords } from "../storage/records";
import { allPending, enqueue } from "../storage/outbox";
import { db } from "../storage/db";
import { policyOf } from "../schema";
import { mergeSet, sameValue } from "./merge";
import { physicalNow } from "./engine";
import { broadcast } from "./events";
import { uuidv7 } from "./ids";
import { fieldProblems, InvalidChange } from "./validate";
import type { Fields, OutboxEntry, StoredRecord, ViewRecord } from "../types";

export function applyPending(collection: string, id: string, server: StoredRecord | undefined, pending: OutboxEntry[]): ViewRecord | undefined {
  let fields: Fields | undefined = server ? { ...server.fields } : undefined;
  for (const m of pending) {
    if (m.op === "delete") {
      fields = undefined;
      continue;
    }
    const next: Fields = { ...(fields ?? { id }) };
    for (const [name, value] of Object.entries(m.fields)) {
      next[name] = policyOf(collection, name) === "set" ? mergeSet(m.base_fields[name], next[name], value) : value;
    }
    fields = next;
  }
  if (!fields) return undefined;
  if (fields["deleted"] === true) return undefined;
  const view: ViewRecord = { id, collection, version: server?.version ?? 0, fields, pending: pending.length > 0 };
  // Made on this device and not on the server yet: the server stamps created_at on arrival, so
  // until then the screens show when the person recorded it here (marked as not yet synced).
  if (!server && pending[0]) view.localCreatedAt = pending[0].created_at;
  return view;
}

function groupPending(pending: OutboxEntry[], collection: string): Map<string, OutboxEntry[]> {
  const byRecord = new Map<string, OutboxEntry[]>();
  for (const m of pending.filter((p) => p.collection === collection).sort((a, b) => a.seq - b.seq)) {
    const list = byRecord.get(m.record_id) ?? [];
    list.push(m);
    byRecord.set(m.record_id, list);
  }
  return byRecord;
}

export async function viewCollection(collection: string): Promise<ViewRecord[]> {
  const [records, pending] = await Promise.all([listRecords(collection), allPending()]);
  const byRecord = groupPending(pending, collection);
  const out: ViewRecord[] = [];
  for (const r of records) {
    const v = applyPending(collection, r.id, r, byRecord.get(r.id) ?? []);
    byRecord.delete(r.id);
    if (v) out.push(v);
  }
  // Records created on this device and not yet on the server.
  for (const [id, list] of byRecord) {
    const v = applyPending(collection, id, undefined, list);
    if (v) out.push(v);
  }
  return out;
}

export async function viewRecord(collection: string, id: string): Promise<ViewRecord | undefined> {
  const [record, pending] = await Promise.all([
    getRecord(collection, id),
    (async () => (await db()).getAllFromIndex("outbox", "by_record", [collection, id]))(),
  ]);
  return applyPending(collection, id, record, pending.sort((a, b) => a.seq - b.seq));
}

let afterEditHook: () => void = () => undefined;
/** The UI registers "sync soon" here; kept out of this module so it stays DOM-free. */
export function setAfterEditHook(fn: () => void): void {
  afterEditHook = fn;
}

/**
 * A change is queued: every open screen and the unsent count re-read local data now (the
 * optimistic view), whatever the network or the sync backoff is doing; then sync soon.
 */
function afterEdit(): void {
  broadcast({ type: "data-changed" });
  afterEditHook();
}

/** Refuses a change with a bad value before it reaches the outbox (the form shows why). */
function check(collection: string, fields: Fields, current: Fields | undefined): void {
  const problems = fieldProblems(collection, fields, current);
  if (Object.keys(problems).length) throw new InvalidChange(problems);
}

/**
 * Records a user's change. Only fields whose value differs from what the user saw are sent;
 * the base is the server version this device holds (0 for a new record).
 */
export async function saveChanges(collection: string, id: string, changes: Fields): Promise<boolean> {
  const [server, current] = await Promise.all([getRecord(collection, id), viewRecord(collection, id)]);
  const fields: Fields = {};
  const base: Fields = {};
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (current && sameValue(current.fields[name], value)) continue;
    fields[name] = value;
    base[name] = current?.fields[name] ?? null;
  }
  if (Object.keys(fields).length === 0) return false;
  check(collection, fields, current?.fields ?? {});
  await enqueue(
    { collection, record_id: id, op: "upsert", base_version: server?.version ?? 0, fields, base_fields: base },
    await physicalNow(),
  );
  afterEdit();
  return true;
}

export async function createRecord(collection: string, fields: Fields): Promise<string> {
  const id = uuidv7();
  const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== ""));
  check(collection, clean, undefined);
  await enqueue({ collection, record_id: id, op: "upsert", base_version: 0, fields: clean, base_fields: {} }, await physicalNow());
  afterEdit();
  return id;
}

export async function deleteRecord(collection: string, id: string): Promise<void> {
  const server = await getRecord(collection, id);
  await enqueue({ collection, record_id: id, op: "delete", base_version: server?.version ?? 0, fields: {}, base_fields: {} }, await physicalNow());
  afterEdit();
}

/**
 * "Edit and retry" for a rejected change: a new mutation with the rejected fields plus the
 * user's correction (e.g. a suggested slot after `slot_taken`); the rejection is dismissed.
 */
export async function retryRejected(entry: { id: string; collection: string; record_id: string; fields: Fields }, override: Fields): Promise<void> {
  const server = await getRecord(entry.collection, entry.record_id);
  const current = await viewRecord(entry.collection, entry.record_id);
  const fields = { ...entry.fields, ...override };
  const base: Fields = {};
  for (const k of Object.keys(fields)) base[k] = current?.fields[k] ?? null;
  await enqueue(
    { collection: entry.collection, record_id: entry.record_id, op: "upsert", base_version: server?.version ?? 0, fields, base_fields: base },
    await physicalNow(),
  );
  await (await db()).delete("rejected", entry.id);
  afterEdit();
}
