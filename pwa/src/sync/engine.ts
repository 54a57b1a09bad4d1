/**
 * One sync cycle: upload new photos, push the outbox in seq order, pull until `has_more` is
 * false. DOM-free so the service worker runs the same code for Background Sync. The caller holds
 * the cross-tab lock (see scheduler.ts / sw.ts).
 */
import { request } from "../api/client";
import { ApiError } from "../api/errors";
import { db } from "../storage/db";
import { getMeta, setMeta } from "../storage/meta";
import { markSent, oldestBatch, pendingCount, recordAnswers, listRejected } from "../storage/outbox";
import { applyPullPage } from "../storage/records";
import { SCHEMA_VERSION, setSchema, type SchemaDoc } from "../schema";
import { broadcast } from "./events";
import { updateSyncState } from "./state";
import type { MutationResult, OutboxEntry, PullPage } from "../types";

export const MAX_BATCH = 500;
export const PULL_LIMIT = 500;

/** A sync problem that retrying right away will not fix; `code` is shown translated. */
export class SyncError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

interface PushResponse {
  server_time: string;
  results: MutationResult[];
}

function toWire(e: OutboxEntry) {
  return {
    id: e.id,
    seq: e.seq,
    collection: e.collection,
    record_id: e.record_id,
    op: e.op,
    base_version: e.base_version,
    hlc: e.hlc,
    fields: e.fields,
  };
}

/** Device clock + this offset ≈ server clock; the HLC's physical time uses it. */
export async function physicalNow(): Promise<number> {
  return Date.now() + ((await getMeta<number>("server_offset_ms")) ?? 0);
}

async function noteServerTime(serverTime: string | undefined, sentAt: number): Promise<void> {
  const server = serverTime ? Date.parse(serverTime) : NaN;
  if (Number.isNaN(server)) return;
  await setMeta("server_offset_ms", Math.round(server - (sentAt + Date.now()) / 2));
}

export async function uploadAttachments(): Promise<void> {
  const d = await db();
  const all = await d.getAll("attachments");
  for (const a of all.filter((x) => !x.uploaded)) {
    updateSyncState({ phase: "upload" });
    await request(`/api/attachments/${a.sha256}`, { method: "PUT", body: a.blob, contentType: a.type });
    await d.put("attachments", { ...a, uploaded: true });
  }
}

/** Pushes until the outbox is empty. Returns the number of mutations answered. */
export async function pushOutbox(): Promise<number> {
  let batchSize = MAX_BATCH;
  let answeredTotal = 0;
  for (;;) {
    const batch = await oldestBatch(batchSize);
    if (batch.length === 0) return answeredTotal;
    updateSyncState({ phase: "push" });
    // Marked before sending: after a crash we resend the same id and seq, never a rewritten one.
    await markSent(batch.map((e) => e.seq), Date.now());
    const sentAt = Date.now();
    let res: PushResponse;
    try {
      res = await request<PushResponse>("/api/sync/push", {
        method: "POST",
        json: { schema_version: SCHEMA_VERSION(), mutations: batch.map(toWire) },
      });
    } catch (e) {
      if (e instanceof ApiError && e.status === 413 && batchSize > 1) {
        batchSize = Math.ceil(batchSize / 2);
        continue;
      }
      throw e;
    }
    await noteServerTime(res.server_time, sentAt);
    const answered = await recordAnswers(res.results ?? [], Date.now());
    answeredTotal += answered.length;
    updateSyncState({ unsent: await pendingCount(), rejected: (await listRejected()).length });
    if (answered.length > 0) broadcast({ type: "data-changed" });
    // A seq_gap on our oldest entry means the server misses mutations we no longer hold:
    // resending cannot help, a person has to look (the entries stay in the outbox meanwhile).
    if (answered.length === 0) {
      const gap = res.results?.find((r) => r.error?.code === "seq_gap");
      throw new SyncError(gap ? "seq_gap" : "no_progress");
    }
  }
}

/** Pulls every page; each page and its cursor are written in one transaction. */
export async function pullAll(): Promise<number> {
  let cursor = await getMeta<string>("cursor");
  let resetting = false;
  let forceReset = false;
  let pulled = 0;
  let pages = 0;
  updateSyncState({ phase: "pull", pulled: 0, pages: 0 });
  for (;;) {
    const sentAt = Date.now();
    const q = `limit=${PULL_LIMIT}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : "");
    let page: PullPage;
    try {
      page = await request<PullPage>(`/api/sync/pull?${q}`);
    } catch (err) {
      // A cursor the server no longer accepts (an unsigned one from before cursors were
      // signed): start over from the beginning and replace the store, like `reset: true`.
      if (cursor && err instanceof ApiError && err.status === 400 && err.details.field === "cursor") {
        cursor = undefined;
        resetting = false;
        forceReset = true;
        continue;
      }
      throw err;
    }
    await noteServerTime(page.server_time, sentAt);
    // After `reset`, the pages that follow replace the store (the outbox stays).
    const clearFirst = (page.reset || forceReset) && !resetting;
    if (page.reset || forceReset) resetting = true;
    forceReset = false;
    // User Timing marks let bench/pwa_bench.py measure the IndexedDB part of a pull.
    const applyStart = performance.now();
    await applyPullPage(page, clearFirst);
    performance.measure?.("doorstep:apply-page", { start: applyStart, detail: page.changes.length });
    pulled += page.changes.length;
    pages += 1;
    updateSyncState({ pulled, pages });
    if (page.changes.length || page.evict?.length || clearFirst) broadcast({ type: "data-changed" });
    cursor = page.cursor;
    if (!page.has_more) return pulled;
  }
}

/** Refreshes the cached schema; failures keep the cached or built-in copy. */
export async function refreshSchema(): Promise<void> {
  try {
    const doc = await request<SchemaDoc>("/api/sync/schema");
    if (doc?.collections) {
      setSchema(doc);
      await setMeta("schema", doc);
    }
  } catch {
    /* offline or older server: keep what we have */
  }
}

export async function loadCachedSchema(): Promise<void> {
  const doc = await getMeta<SchemaDoc>("schema");
  if (doc) setSchema(doc);
}

/** A whole cycle. Throws on failure; the scheduler decides when to retry. */
export async function runSyncCycle(): Promise<void> {
  updateSyncState({ running: true });
  try {
    await uploadAttachments();
    await pushOutbox();
    await pullAll();
    // Mutations queued while we pulled go out now rather than at the next trigger.
    if ((await pendingCount()) > 0) await pushOutbox();
    const at = Date.now();
    await setMeta("last_sync_at", at);
    updateSyncState({ lastSyncAt: at, lastError: undefined });
    broadcast({ type: "sync-finished", at });
  } finally {
    updateSyncState({
      running: false,
      phase: "idle",
      unsent: await pendingCount(),
      rejected: (await listRejected()).length,
    });
  }
}
