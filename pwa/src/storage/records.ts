/** Server records: read by the view layer, written only by applying pull pages. */
import { db } from "./db";
import type { PullPage, StoredRecord } from "../types";

export async function getRecord(collection: string, id: string): Promise<StoredRecord | undefined> {
  return (await db()).get("records", [collection, id]);
}

export async function listRecords(collection: string): Promise<StoredRecord[]> {
  return (await db()).getAllFromIndex("records", "by_collection", collection);
}

export async function countRecords(): Promise<number> {
  return (await db()).count("records");
}

/**
 * Applies one pull page in one transaction, cursor included, so a crash leaves either the whole
 * page and its cursor or neither. `clearFirst` is the first page after `reset: true`: the store is
 * replaced, the outbox is not touched (unsent work survives a reset).
 */
export async function applyPullPage(page: PullPage, clearFirst: boolean): Promise<void> {
  const d = await db();
  const tx = d.transaction(["records", "meta"], "readwrite");
  const records = tx.objectStore("records");
  // Requests run in the order issued inside one transaction; not awaiting each one keeps a
  // 500-record page a single burst of work.
  const ops: Promise<unknown>[] = [];
  if (clearFirst) ops.push(records.clear());
  for (const c of page.changes) {
    if (c.deleted) ops.push(records.delete([c.collection, c.record_id]));
    else ops.push(records.put({ collection: c.collection, id: c.record_id, version: c.version, fields: c.fields }));
  }
  for (const e of page.evict ?? []) ops.push(records.delete([e.collection, e.record_id]));
  ops.push(tx.objectStore("meta").put(page.cursor, "cursor"));
  await Promise.all([...ops, tx.done]);
}
