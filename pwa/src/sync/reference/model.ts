/**
 * The TypeScript port of the server's sync engine (sync/*.py), used by the client's tests to run
 * every case of sync/vectors/ with the same merge rules the optimistic view uses (../merge.ts).
 * Not part of the app bundle (nothing in the app imports it).
 */
export const DELETED_KEY = "_deleted";

export interface SyncRecord {
  collection: string;
  id: string;
  version: number;
  deleted: boolean;
  fields: Record<string, unknown>;
  field_versions: Record<string, number>;
  field_clocks: Record<string, string>;
  created_at: string | null;
  updated_at: string | null;
  created_by: string | null;
}

export interface Mutation {
  id: string;
  seq: number;
  collection: string;
  record_id: string;
  op: string;
  base_version: number;
  hlc: string;
  fields: Record<string, unknown>;
}

export interface MutationErrorJson {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export interface ResultJson {
  id: string;
  seq: number;
  status: string;
  record_version: number | null;
  conflict_ids: string[];
  clock_adjusted: boolean;
  error: MutationErrorJson | null;
}

export interface Actor {
  user_id: string;
  device_id: string;
}

/** One record write. */
export interface Applied {
  collection: string;
  record_id: string;
  after: SyncRecord;
  actor: Actor | null;
}

/**
 * What one device mutation did to a set field from the device's point of view: replaying a
 * device's deltas on the base snapshot rebuilds its local copy, the true base of its next merge.
 */
export interface SetDelta {
  version: number;
  field: string;
  added: unknown[];
  removed: unknown[];
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export function copyRecord(r: SyncRecord): SyncRecord {
  return clone(r);
}

export function recordFromJson(d: Record<string, unknown>): SyncRecord {
  return {
    collection: String(d["collection"]),
    id: String(d["id"]),
    version: Number(d["version"] ?? 0),
    deleted: Boolean(d["deleted"] ?? false),
    fields: clone((d["fields"] as Record<string, unknown>) ?? {}),
    field_versions: { ...((d["field_versions"] as Record<string, number>) ?? {}) },
    field_clocks: { ...((d["field_clocks"] as Record<string, string>) ?? {}) },
    created_at: (d["created_at"] as string) ?? null,
    updated_at: (d["updated_at"] as string) ?? null,
    created_by: (d["created_by"] as string) ?? null,
  };
}

export function result(
  id: string, seq: number, status: string, record_version: number | null = null, conflict_ids: string[] = [],
  clock_adjusted = false, error: MutationErrorJson | null = null,
): ResultJson {
  return { id, seq, status, record_version, conflict_ids, clock_adjusted, error };
}
