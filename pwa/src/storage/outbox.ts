/**
 * The outbox: mutations in `seq` order. Invariants (SYNC_PROTOCOL.md "Principles"):
 * - an entry leaves only when the server answered for its seq (applied/merged/conflict/rejected);
 * - an entry marked sent is never rewritten, because the server may already hold it under that seq;
 * - seq and clock are allocated inside the same IndexedDB transaction as the entry, so two tabs
 *   can never hand out the same seq.
 */
import { db } from "./db";
import { uuidv7 } from "../sync/ids";
import { formatHlc, tick, type HlcState } from "../sync/hlc";
import type { AuthState, Fields, MutationOp, MutationResult, OutboxEntry, RejectedEntry } from "../types";

export interface NewMutation {
  collection: string;
  record_id: string;
  op: MutationOp;
  base_version: number;
  fields: Fields;
  base_fields: Fields;
}

/** Adds a mutation; folds it into the record's latest entry if that one was never sent. */
export async function enqueue(m: NewMutation, physicalMs: number): Promise<OutboxEntry> {
  const d = await db();
  const tx = d.transaction(["outbox", "meta"], "readwrite");
  const meta = tx.objectStore("meta");
  const outbox = tx.objectStore("outbox");
  const auth = (await meta.get("auth")) as AuthState | undefined;
  const deviceId = auth?.device_id ?? "local";
  const clock = tick((await meta.get("hlc")) as HlcState | undefined, physicalMs);
  await meta.put(clock, "hlc");
  const hlc = formatHlc(clock.ms, clock.counter, deviceId);

  const forRecord = await outbox.index("by_record").getAll([m.collection, m.record_id]);
  const latest = forRecord.sort((a, b) => a.seq - b.seq).at(-1);
  let entry: OutboxEntry;
  if (latest && latest.sent_at === undefined && latest.op === "upsert" && m.op === "upsert") {
    // Never seen by the server: one mutation with the combined change is simpler for everyone.
    entry = {
      ...latest,
      hlc,
      fields: { ...latest.fields, ...m.fields },
      base_fields: { ...m.base_fields, ...latest.base_fields },
    };
  } else {
    const seq = (((await meta.get("seq")) as number | undefined) ?? 0) + 1;
    await meta.put(seq, "seq");
    entry = {
      seq,
      id: uuidv7(),
      collection: m.collection,
      record_id: m.record_id,
      op: m.op,
      base_version: m.base_version,
      hlc,
      fields: m.fields,
      base_fields: m.base_fields,
      created_at: Date.now(),
      attempts: 0,
    };
  }
  await outbox.put(entry);
  await tx.done;
  return entry;
}

export async function allPending(): Promise<OutboxEntry[]> {
  return (await db()).getAll("outbox");
}

export async function pendingCount(): Promise<number> {
  return (await db()).count("outbox");
}

/** The oldest unanswered mutations, at most `limit`. */
export async function oldestBatch(limit: number): Promise<OutboxEntry[]> {
  return (await db()).getAll("outbox", undefined, limit);
}

/** Marks entries as (possibly) on the server before the request leaves. */
export async function markSent(seqs: number[], now: number): Promise<void> {
  const d = await db();
  const tx = d.transaction("outbox", "readwrite");
  for (const seq of seqs) {
    const e = await tx.store.get(seq);
    if (e) await tx.store.put({ ...e, sent_at: e.sent_at ?? now, attempts: e.attempts + 1 });
  }
  await tx.done;
}

/**
 * Records the server's answers: answered entries leave the outbox (rejected ones move to the
 * rejected store), a `seq_gap` answer does not count as answered. Returns the seqs answered.
 */
export async function recordAnswers(results: MutationResult[], now: number): Promise<number[]> {
  const d = await db();
  const tx = d.transaction(["outbox", "rejected"], "readwrite");
  const answered: number[] = [];
  for (const r of results) {
    if (r.status === "rejected" && r.error?.code === "seq_gap") continue;
    const entry = await tx.objectStore("outbox").get(r.seq);
    if (!entry || entry.id !== r.id) continue; // an answer for something we no longer hold
    if (r.status === "rejected") {
      const rejected: RejectedEntry = {
        ...entry,
        error: r.error ?? { code: "unknown", message: "" },
        answered_at: now,
      };
      await tx.objectStore("rejected").put(rejected);
    }
    await tx.objectStore("outbox").delete(r.seq);
    answered.push(r.seq);
  }
  await tx.done;
  return answered;
}

export async function listRejected(): Promise<RejectedEntry[]> {
  return (await db()).getAll("rejected");
}

export async function dismissRejected(id: string): Promise<void> {
  await (await db()).delete("rejected", id);
}

/**
 * After logging in again (a new device id, its seq count starting at 1), unsent mutations are
 * renumbered from 1 in their order and their clocks re-stamped with the new device id, so the
 * server accepts them as this device's.
 */
export async function rebaseOutbox(newDeviceId: string): Promise<number> {
  const d = await db();
  const tx = d.transaction(["outbox", "meta"], "readwrite");
  const entries = (await tx.objectStore("outbox").getAll()).sort((a, b) => a.seq - b.seq);
  await tx.objectStore("outbox").clear();
  let seq = 0;
  for (const e of entries) {
    seq += 1;
    const hlc = e.hlc.replace(/^(\d{13}-[0-9a-f]{4})-.*$/, `$1-${newDeviceId}`);
    // A fresh id too: the old device's answer (if it ever arrived) must not be confused with it.
    await tx.objectStore("outbox").put({ ...e, seq, hlc, id: uuidv7(), sent_at: undefined });
  }
  await tx.objectStore("meta").put(seq, "seq");
  await tx.done;
  return entries.length;
}
