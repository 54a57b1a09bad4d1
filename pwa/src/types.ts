/** Shapes shared by storage, sync and UI. Wire names follow SYNC_PROTOCOL.md. */

export type Fields = Record<string, unknown>;

/** A record as the server last sent it (the "theirs" layer of the optimistic view). */
export interface StoredRecord {
  collection: string;
  id: string;
  version: number;
  fields: Fields;
}

export type MutationOp = "upsert" | "delete";

/** A mutation waiting for the server's answer. It leaves the outbox only when answered. */
export interface OutboxEntry {
  seq: number;
  id: string;
  collection: string;
  record_id: string;
  op: MutationOp;
  base_version: number;
  hlc: string;
  fields: Fields;
  /** Local only: the values the changed fields had when the user edited (set merges, conflicts UI). */
  base_fields: Fields;
  created_at: number;
  /** Set (in IndexedDB) before the request goes out: a sent entry is never rewritten. */
  sent_at?: number;
  attempts: number;
}

export interface WireError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** A mutation the server answered `rejected`: kept so the user sees why and can retry. */
export interface RejectedEntry extends OutboxEntry {
  error: WireError;
  answered_at: number;
}

export interface MutationResult {
  id: string;
  seq: number;
  status: "applied" | "merged" | "conflict" | "rejected";
  record_version?: number | null;
  conflict_ids?: string[];
  clock_adjusted?: boolean;
  error?: WireError | null;
}

export interface PullChange {
  collection: string;
  record_id: string;
  version: number;
  deleted: boolean;
  fields: Fields;
}

export interface PullPage {
  server_time: string;
  cursor: string;
  has_more: boolean;
  reset: boolean;
  changes: PullChange[];
  evict: { collection: string; record_id: string }[];
}

export type Role =
  | "grid_worker"
  | "lawyer"
  | "psychologist"
  | "community_admin"
  | "department_officer"
  | "street_admin"
  | "district_admin"
  | "volunteer";

export interface User {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  org_unit_id: string;
}

export interface AuthState {
  access_token: string;
  refresh_token: string;
  /** ms since epoch (device clock) when the access token expires */
  expires_at: number;
  device_id: string;
  user: User;
}

/** What screens read: the server record with pending mutations applied on top. */
export interface ViewRecord {
  id: string;
  collection: string;
  version: number;
  fields: Fields;
  /** true while at least one mutation on it is unanswered */
  pending: boolean;
  /** ms, for a record created on this device that the server has not stamped yet */
  localCreatedAt?: number;
}
