/**
 * The only module that opens IndexedDB. Stores:
 * - records: what the server sent, keyed by [collection, id]
 * - meta: cursor, auth (tokens, device id, user), seq counter, clock state, server offset, schema
 * - outbox: unanswered mutations by seq
 * - rejected: answered-rejected mutations by mutation id, kept for the user to read and retry
 * - attachments: photos taken on this device, until uploaded
 */
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { OutboxEntry, RejectedEntry, StoredRecord } from "../types";

export interface AttachmentBlob {
  sha256: string;
  blob: Blob;
  type: string;
  uploaded: boolean;
  created_at: number;
}

export interface DoorstepDB extends DBSchema {
  records: { key: [string, string]; value: StoredRecord; indexes: { by_collection: string } };
  meta: { key: string; value: unknown };
  outbox: { key: number; value: OutboxEntry; indexes: { by_record: [string, string] } };
  rejected: { key: string; value: RejectedEntry };
  attachments: { key: string; value: AttachmentBlob; indexes: { by_uploaded: number } };
}

export type DB = IDBPDatabase<DoorstepDB>;
export const STORE_NAMES = ["records", "meta", "outbox", "rejected", "attachments"] as const;

// Until a person is chosen. Not "doorstep": that is the previous version's database, which
// src/storage/legacy.ts adopts and deletes, and must not be recreated empty.
let dbName = "doorstep-nobody";
let opening: Promise<DB> | null = null;

/**
 * Which database the app reads: one per person (src/storage/tablet.ts), chosen at boot, login
 * and unlock; tests use a fresh name per case. The previous connection is closed.
 */
export function useDatabaseName(name: string): void {
  if (name === dbName && opening) return;
  void opening?.then((d) => d.close()).catch(() => undefined);
  dbName = name;
  opening = null;
}

export function databaseName(): string {
  return dbName;
}

export function db(): Promise<DB> {
  opening ??= openDB<DoorstepDB>(dbName, 1, {
    upgrade(d) {
      const records = d.createObjectStore("records", { keyPath: ["collection", "id"] });
      records.createIndex("by_collection", "collection");
      d.createObjectStore("meta");
      const outbox = d.createObjectStore("outbox", { keyPath: "seq" });
      outbox.createIndex("by_record", ["collection", "record_id"]);
      d.createObjectStore("rejected", { keyPath: "id" }); // mutation id: seqs restart on a new device
      d.createObjectStore("attachments", { keyPath: "sha256" });
    },
    blocking() {
      // A newer version of the app wants to upgrade the database: let it.
      void opening?.then((d) => d.close());
      opening = null;
    },
  });
  return opening;
}

/** Asks the browser not to evict our data under storage pressure (unsent work lives here). */
export async function requestPersistence(): Promise<boolean> {
  try {
    // persist() exists on windows only; this module is also bundled into the service worker.
    const storage = (globalThis as { navigator?: { storage?: StorageManager & { persist?: () => Promise<boolean> } } }).navigator?.storage;
    if (storage?.persist) return (await storage.persisted()) || (await storage.persist());
  } catch {
    /* not fatal: the data still lives in IndexedDB */
  }
  return false;
}

/** Logout or a revoked device: everything goes, in one transaction. */
export async function wipeAll(): Promise<void> {
  const d = await db();
  const tx = d.transaction([...STORE_NAMES], "readwrite");
  await Promise.all([...STORE_NAMES.map((s) => tx.objectStore(s).clear()), tx.done]);
}
