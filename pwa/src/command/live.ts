/**
 * Live updates for the command screens: one stream of /api/command/events per page, shared by
 * whoever listens (the map, the warning list). Reconnects with backoff after a drop and resumes
 * and stops when nobody listens or the person logs out. Each event also asks the
 * sync loop for a pull, so the synced warning list and inbox catch up without a reload. The
 * stream (server/live/stream.py) sends `resync` when it dropped events for a slow reader
 * (listeners reload everything) and `end` when the caller may no longer read the unit.
 */
import { openStream } from "../api/client";
import { LoginRequiredError } from "../api/errors";
import { requestSync } from "../sync/scheduler";
import { backoffMs, parseSse } from "./sse";

export interface LiveEvent {
  event: string;
  /** the event's JSON body (collection, id, level, status … as the server sends them) */
  data: Record<string, unknown>;
}

export type LiveState = "connecting" | "open" | "retrying" | "stopped";

type Listener = (e: LiveEvent) => void;
type StateListener = (s: LiveState) => void;

const listeners = new Set<Listener>();
const stateListeners = new Set<StateListener>();
let orgUnit: string | undefined;
let controller: AbortController | undefined;
let state: LiveState = "stopped";
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let syncTimer: ReturnType<typeof setTimeout> | undefined;

function setState(s: LiveState): void {
  state = s;
  for (const l of stateListeners) l(s);
}

export function liveState(): LiveState {
  return state;
}

function deliver(e: LiveEvent): void {
  for (const l of listeners) {
    try {
      l(e);
    } catch (err) {
      console.error("live listener", err);
    }
  }
  // Several events in a burst make one pull, not one each.
  if (syncTimer) clearTimeout(syncTimer);
  syncTimer = setTimeout(() => requestSync("push"), 1000);
}

async function connect(attempt: number): Promise<void> {
  if (!orgUnit || !listeners.size) return setState("stopped");
  controller = new AbortController();
  const ctl = controller;
  setState(attempt ? "retrying" : "connecting");
  let serverRetry: number | undefined;
  try {
    const path = `/api/command/events?org_unit_id=${encodeURIComponent(orgUnit)}`;
    const res = await openStream(path, ctl.signal);
    if (!res.body) throw new Error("no stream body");
    setState("open");
    attempt = 0;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const parsed = parseSse(buffer + value);
      buffer = parsed.rest;
      for (const m of parsed.messages) {
        if (m.retry) serverRetry = m.retry;
        // Signed out, or the unit left this person's scope: reconnecting would be refused.
        if (m.event === "end") {
          ctl.abort();
          return setState("stopped");
        }
        let data: Record<string, unknown> = {};
        try {
          data = JSON.parse(m.data) as Record<string, unknown>;
        } catch {
          data = { text: m.data };
        }
        deliver({ event: m.event, data });
      }
    }
  } catch (e) {
    if (ctl.signal.aborted) return;
    // Logged out or no access: nothing a retry would fix.
    if (e instanceof LoginRequiredError || (e as { status?: number }).status === 403) return setState("stopped");
  }
  if (ctl.signal.aborted || controller !== ctl) return;
  setState("retrying");
  retryTimer = setTimeout(() => void connect(attempt + 1), Math.max(serverRetry ?? 0, backoffMs(attempt)));
}

function restart(): void {
  controller?.abort();
  if (retryTimer) clearTimeout(retryTimer);
  void connect(0);
}

/** Listen to live events of `orgUnitId`'s subtree; returns the function that stops listening. */
export function listenLive(orgUnitId: string, fn: Listener, onState?: StateListener): () => void {
  listeners.add(fn);
  if (onState) {
    stateListeners.add(onState);
    onState(state);
  }
  if (orgUnit !== orgUnitId || state === "stopped") {
    orgUnit = orgUnitId;
    restart();
  }
  return () => {
    listeners.delete(fn);
    if (onState) stateListeners.delete(onState);
    if (!listeners.size) stopLive();
  };
}

export function stopLive(): void {
  controller?.abort();
  controller = undefined;
  if (retryTimer) clearTimeout(retryTimer);
  setState("stopped");
}

// Back online: reconnect now instead of waiting out the backoff.
if (typeof window !== "undefined") {
  window.addEventListener("online", () => {
    if (listeners.size && state !== "open") restart();
  });
}
