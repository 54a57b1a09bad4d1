/**
 * Pokes (issue 13): while the app is open, one Server-Sent Events stream (`GET /api/sync/events`,
 * read with fetch so it can carry the Bearer token) tells this device "pull now" when a commit
 * touches a scope it reads. A poke carries no data; it only asks the scheduler for a sync, and so
 * does every (re)connection (for what was committed while the stream was down). While the stream
 * is up the periodic sync falls back to a quarter-hour safety net (scheduler.ts); when it drops
 * (offline, server restart, the stream's own end after half an hour at most) it reconnects after a
 * spread delay, and the one-minute timer covers the gap.
 */
import { request } from "../api/client";
import { getMeta } from "../storage/meta";
import type { AuthState } from "../types";

let connected = false;
let running = false;

/** Whether the poke stream is up (the scheduler then syncs on pokes, not on the minute). */
export function pokesConnected(): boolean {
  return connected;
}

export function startPokes(onPoke: () => void): void {
  if (running || typeof fetch === "undefined" || typeof TextDecoder === "undefined") return;
  running = true;
  void loop(onPoke);
}

async function loop(onPoke: () => void): Promise<void> {
  let failures = 0;
  for (;;) {
    if (typeof navigator !== "undefined" && navigator.onLine === false) {
      await new Promise<void>((resolve) => window.addEventListener("online", () => resolve(), { once: true }));
    }
    try {
      await listen(onPoke);
      failures = 0;
    } catch {
      failures += 1;
    } finally {
      connected = false;
    }
    // spread reconnections: a server restart must not see every device at once
    const wait = Math.min(60_000, 2_000 * 2 ** Math.min(failures, 5)) * (0.5 + Math.random());
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

async function listen(onPoke: () => void): Promise<void> {
  const auth = await getMeta<AuthState>("auth");
  if (!auth) throw new Error("logged out");
  let res = await fetch("/api/sync/events", { headers: { Authorization: `Bearer ${auth.access_token}` }, cache: "no-store" });
  if (res.status === 401) {
    await request("/api/auth/me"); // refreshes the access token if it expired
    const fresh = await getMeta<AuthState>("auth");
    res = await fetch("/api/sync/events", { headers: { Authorization: `Bearer ${fresh?.access_token ?? ""}` }, cache: "no-store" });
  }
  if (!res.ok || !res.body) throw new Error(`poke stream: ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "message";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
      if (line.startsWith(": ready")) {
        // (re)connected: sync once for whatever was committed while the stream was down, so the
        // periodic timer need not poll for it
        connected = true;
        onPoke();
      }
      else if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line === "") {
        if (event === "poke") onPoke();
        if (event === "end") return;
        event = "message";
      }
    }
  }
}
