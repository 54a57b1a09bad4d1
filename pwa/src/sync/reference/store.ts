/** The engine's storage interface and an in-memory store (port of sync/store.py). */
import { clone, copyRecord, type Applied, type ResultJson, type SetDelta, type SyncRecord } from "./model";
import { parseRfc3339 } from "./times";

export const ACTIVE_SESSION_STATES = ["requested", "scheduled"];

type Key = string;
const key = (collection: string, id: string): Key => `${collection}\u0000${id}`;

export class MemoryStore {
  records = new Map<Key, SyncRecord>();
  history = new Map<Key, Map<number, Record<string, unknown>>>();
  private lastSeqs = new Map<string, number>();
  private answers = new Map<string, ResultJson>();
  private deltas = new Map<string, SetDelta[]>();
  private deviceUsers = new Map<string, string>();

  load(record: SyncRecord, history: Record<string, Record<string, unknown>> = {}): void {
    const k = key(record.collection, record.id);
    this.records.set(k, copyRecord(record));
    const snaps = this.history.get(k) ?? new Map();
    for (const [v, f] of Object.entries(history)) snaps.set(Number(v), clone(f));
    snaps.set(record.version, clone(record.fields));
    this.history.set(k, snaps);
  }

  registerDevice(deviceId: string, userId: string, lastSeq = 0): void {
    this.deviceUsers.set(deviceId, userId);
    this.lastSeqs.set(deviceId, lastSeq);
  }

  saveSetDelta(collection: string, id: string, deviceId: string, delta: SetDelta): void {
    const k = `${key(collection, id)}\u0000${deviceId}`;
    this.deltas.set(k, [...(this.deltas.get(k) ?? []), clone(delta)]);
  }

  setDeltas(collection: string, id: string, deviceId: string): SetDelta[] {
    return clone(this.deltas.get(`${key(collection, id)}\u0000${deviceId}`) ?? []);
  }

  get(collection: string, id: string): SyncRecord | null {
    const r = this.records.get(key(collection, id));
    return r ? copyRecord(r) : null;
  }

  getSnapshot(collection: string, id: string, version: number): Record<string, unknown> | null {
    const s = this.history.get(key(collection, id))?.get(version);
    return s ? clone(s) : null;
  }

  put(record: SyncRecord, applied: Applied): void {
    const k = key(record.collection, record.id);
    const old = this.records.get(k);
    const expected = old ? old.version + 1 : 1;
    if (record.version !== expected) throw new Error(`version ${record.version} written over ${expected - 1}`);
    this.records.set(k, copyRecord(record));
    const snaps = this.history.get(k) ?? new Map();
    snaps.set(record.version, clone(record.fields));
    this.history.set(k, snaps);
    if (applied.actor && !this.deviceUsers.has(applied.actor.device_id)) {
      this.deviceUsers.set(applied.actor.device_id, applied.actor.user_id);
    }
  }

  lastSeq(deviceId: string): number {
    return this.lastSeqs.get(deviceId) ?? 0;
  }

  getAnswer(deviceId: string, seq: number): ResultJson | null {
    return this.answers.get(`${deviceId}\u0000${seq}`) ?? null;
  }

  saveAnswer(deviceId: string, r: ResultJson): void {
    this.answers.set(`${deviceId}\u0000${r.seq}`, r);
    this.lastSeqs.set(deviceId, Math.max(this.lastSeq(deviceId), r.seq));
  }

  findSessions(q: { psychologist_id?: unknown; room_id?: unknown; starts_before: unknown; ends_after: unknown }): SyncRecord[] {
    const before = parseRfc3339(q.starts_before)!;
    const after = parseRfc3339(q.ends_after)!;
    const out: SyncRecord[] = [];
    for (const rec of this.records.values()) {
      if (rec.collection !== "psych_sessions" || rec.deleted) continue;
      const f = rec.fields;
      if (!ACTIVE_SESSION_STATES.includes(f["status"] as string)) continue;
      if (q.psychologist_id !== undefined && f["psychologist_id"] !== q.psychologist_id) continue;
      if (q.room_id !== undefined && f["room_id"] !== q.room_id) continue;
      const s = parseRfc3339(f["starts_at"]);
      const e = parseRfc3339(f["ends_at"]);
      if (s === null || e === null || !(s < before && e > after)) continue;
      out.push(copyRecord(rec));
    }
    return sortByStart(out);
  }

  openSlots(psychologistId: string, after: string): SyncRecord[] {
    const moment = parseRfc3339(after)!;
    const out: SyncRecord[] = [];
    for (const rec of this.records.values()) {
      const f = rec.fields;
      if (rec.collection !== "psych_slots" || rec.deleted || f["status"] !== "open") continue;
      if (f["psychologist_id"] !== psychologistId) continue;
      const s = parseRfc3339(f["starts_at"]);
      if (s === null || parseRfc3339(f["ends_at"]) === null || !(s > moment)) continue;
      out.push(copyRecord(rec));
    }
    return sortByStart(out);
  }

  deviceUser(deviceId: string): string | null {
    return this.deviceUsers.get(deviceId) ?? null;
  }

  conflicts(): SyncRecord[] {
    return [...this.records.values()].filter((r) => r.collection === "conflicts").map(copyRecord);
  }
}

export function sortByStart(list: SyncRecord[]): SyncRecord[] {
  return list.sort((a, b) => {
    const d = parseRfc3339(a.fields["starts_at"])! - parseRfc3339(b.fields["starts_at"])!;
    return d !== 0 ? d : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}
