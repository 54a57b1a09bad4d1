/** The sync state the UI shows (sync bar, offline banner, unsent count, progress, errors). */

export interface SyncState {
  online: boolean;
  running: boolean;
  phase: "idle" | "upload" | "push" | "pull";
  /** records received in the current pull run */
  pulled: number;
  pages: number;
  unsent: number;
  rejected: number;
  lastSyncAt?: number;
  /** error code of the last failed attempt (shown translated), cleared by a success */
  lastError?: string;
  nextRetryAt?: number;
}

type Listener = (s: SyncState) => void;

let state: SyncState = {
  online: typeof navigator === "undefined" ? true : navigator.onLine !== false,
  running: false,
  phase: "idle",
  pulled: 0,
  pages: 0,
  unsent: 0,
  rejected: 0,
};
const listeners = new Set<Listener>();

export function syncState(): SyncState {
  return state;
}

export function updateSyncState(patch: Partial<SyncState>): void {
  state = { ...state, ...patch };
  for (const l of listeners) l(state);
}

export function onSyncState(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
