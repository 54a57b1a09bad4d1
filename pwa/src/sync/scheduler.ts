/**
 * When to sync (window side): app start, `online`, a few seconds after local edits, every minute
 * while the app is visible, on a service worker's request (push, Background Sync), and on retry
 * with exponential backoff (honouring Retry-After). The cycle itself runs under a Web Lock so
 * only one tab (or the service worker) syncs at a time.
 */
import { ApiError, DeviceRevokedError, LoginRequiredError, NetworkError } from "../api/errors";
import { getMeta } from "../storage/meta";
import { listRejected, pendingCount } from "../storage/outbox";
import { runSyncCycle, SyncError } from "./engine";
import { onBroadcast } from "./events";
import { pokesConnected, startPokes } from "./pokes";
import { withLock } from "./locks";
import { syncState, updateSyncState } from "./state";

const EDIT_DEBOUNCE_MS = 2_000;
const INTERVAL_MS = 60_000;
/** with the poke stream up, the periodic sync is only a safety net: the app also syncs on each
 * poke and each reconnection of the stream (at most half an hour apart), so an open app costs the
 * server about three requests an hour when nothing concerns it, not one every few minutes */
const POKED_INTERVAL_MS = 15 * 60_000;
const MAX_BACKOFF_MS = 5 * 60_000;

let timer: ReturnType<typeof setTimeout> | undefined;
let running = false;
let again = false;
let failures = 0;
let onRevoked: () => void = () => undefined;
let onLoginRequired: () => void = () => undefined;

export function setRevokedHandler(fn: () => void): void {
  onRevoked = fn;
}

/** The session expired: ask for the password again; local data and the outbox stay. */
export function setLoginRequiredHandler(fn: () => void): void {
  onLoginRequired = fn;
}

function schedule(delayMs: number): void {
  const due = Date.now() + delayMs;
  const retryAt = syncState().nextRetryAt ?? 0;
  const at = Math.max(due, retryAt);
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => void run(), Math.max(0, at - Date.now()));
}

/** Ask for a sync; `edit` debounces so a burst of edits goes out together. */
export function requestSync(reason: "start" | "online" | "edit" | "interval" | "manual" | "push"): void {
  if (reason === "manual" || reason === "online") updateSyncState({ nextRetryAt: undefined });
  if (running) {
    again = true;
    return;
  }
  schedule(reason === "edit" ? EDIT_DEBOUNCE_MS : 0);
  if (reason === "edit") void registerBackgroundSync();
}

async function run(): Promise<void> {
  timer = undefined;
  if (running) return;
  running = true;
  again = false;
  try {
    await withLock("doorstep-sync", runSyncCycle);
    failures = 0;
    updateSyncState({ nextRetryAt: undefined, lastError: undefined, online: true });
  } catch (e) {
    if (e instanceof DeviceRevokedError) {
      running = false;
      onRevoked();
      return;
    }
    if (e instanceof LoginRequiredError) {
      running = false;
      onLoginRequired();
      return;
    }
    if (e instanceof ApiError && e.status === 426) {
      // The server no longer takes this schema version: fetch the new app (the update banner follows).
      void navigator.serviceWorker?.getRegistration().then((r) => r?.update());
    }
    failures += 1;
    let wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** failures) * (0.8 + Math.random() * 0.4);
    // Retry-After is the earliest; spread from there, so devices refused together (a 503 from an
    // overloaded server) do not all come back in the same second.
    if (e instanceof ApiError && e.retryAfter) wait = Math.max(wait, e.retryAfter * 1000 * (1 + Math.random()));
    const code =
      e instanceof NetworkError ? "offline" : e instanceof ApiError || e instanceof SyncError ? e.code : "unknown";
    updateSyncState({
      lastError: code,
      nextRetryAt: Date.now() + wait,
      online: !(e instanceof NetworkError) && syncState().online,
    });
    // Offline: the `online` event restarts us; otherwise retry after the backoff.
    if (!(e instanceof NetworkError) || navigator.onLine) schedule(wait);
  } finally {
    running = false;
  }
  if (again) schedule(0);
}

async function registerBackgroundSync(): Promise<void> {
  try {
    const reg = await navigator.serviceWorker?.getRegistration();
    const sync = (reg as (ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }) | undefined)?.sync;
    await sync?.register("doorstep-sync");
  } catch {
    /* not supported or not allowed: the other triggers still run */
  }
}

/** Wires the triggers; call once after login or resume. */
export function startSyncScheduler(): void {
  window.addEventListener("online", () => {
    updateSyncState({ online: true });
    requestSync("online");
  });
  window.addEventListener("offline", () => updateSyncState({ online: false }));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") requestSync("interval");
  });
  setInterval(() => {
    if (document.visibilityState !== "visible" || !navigator.onLine) return;
    // pokes tell us when there is something to pull; then the timer only checks now and then
    const last = syncState().lastSyncAt ?? 0;
    if (pokesConnected() && Date.now() - last < POKED_INTERVAL_MS) return;
    requestSync("interval");
  }, INTERVAL_MS);
  startPokes(() => requestSync("push"));
  navigator.serviceWorker?.addEventListener("message", (ev: MessageEvent) => {
    if (ev.data?.type === "sync-request") requestSync("push");
  });
  onBroadcast((msg) => {
    // Another tab or the service worker synced: show its result here too.
    if (msg.type === "sync-finished") void refreshCounts(msg.at);
    if (msg.type === "data-changed") void refreshCounts();
  });
  void refreshCounts();
  requestSync("start");
}

export async function refreshCounts(lastSyncAt?: number): Promise<void> {
  updateSyncState({
    unsent: await pendingCount(),
    rejected: (await listRejected()).length,
    lastSyncAt: lastSyncAt ?? (await getMeta<number>("last_sync_at")) ?? syncState().lastSyncAt,
  });
}
