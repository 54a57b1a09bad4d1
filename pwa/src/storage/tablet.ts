/**
 * Who uses this browser: the shared hall tablet of DESIGN.md ("shared device, per-user unlock").
 * Each person's records, outbox and tokens live in their own IndexedDB database
 * (`doorstep-u-<user id>`), so switching user can never show the previous person's records: the
 * app only ever opens the active person's database. This small registry database says who is
 * active and, for people who set a PIN, holds their sealed session while they are locked out
 * (see src/api/pin.ts for what the PIN protects and what it does not).
 * The service worker reads it too, to sync the active person's outbox and nobody else's.
 */
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { User } from "../types";

/** A person known on this device. Present for everyone who logged in; `pin` once they set one. */
export interface TabletUser {
  user: User;
  pin?: {
    salt: Uint8Array;
    iterations: number;
    /** the session key (AES-GCM), wrapped with the PIN-derived key */
    wrapped: ArrayBuffer;
    iv: Uint8Array;
  };
  /** tokens sealed with the session key while this person is locked */
  sealed?: { iv: Uint8Array; data: ArrayBuffer };
  failures: number;
}

/** The unlocked person; `key` (the unwrapped session key) only when they have a PIN. */
export interface ActiveSession {
  user_id: string;
  key?: CryptoKey;
}

interface TabletDB extends DBSchema {
  users: { key: string; value: TabletUser };
  state: { key: string; value: ActiveSession };
}

const NAME = "doorstep-tablet";
let opening: Promise<IDBPDatabase<TabletDB>> | null = null;

function tablet(): Promise<IDBPDatabase<TabletDB>> {
  opening ??= openDB<TabletDB>(NAME, 1, {
    upgrade(d) {
      d.createObjectStore("users");
      d.createObjectStore("state");
    },
  });
  return opening;
}

/**
 * Whose server device holds this browser's push endpoint: the server keeps one subscription per
 * endpoint, and a browser has one endpoint, so the last person who registered it receives every
 * push here, also while someone else is at the tablet. The service worker stamps each
 * notification with this person, so a tap never opens their message on another person's screen.
 */
export async function pushOwner(): Promise<string | undefined> {
  return (await (await tablet()).get("state", "push_owner"))?.user_id;
}

export async function setPushOwner(userId: string | undefined): Promise<void> {
  const d = await tablet();
  if (userId) await d.put("state", { user_id: userId }, "push_owner");
  else await d.delete("state", "push_owner");
}

/** The database of one person's records, outbox and tokens. */
export function userDatabaseName(userId: string): string {
  return `doorstep-u-${userId}`;
}

export async function activeSession(): Promise<ActiveSession | undefined> {
  return (await tablet()).get("state", "active");
}

export async function setActiveSession(s: ActiveSession | undefined): Promise<void> {
  const d = await tablet();
  if (s) await d.put("state", s, "active");
  else await d.delete("state", "active");
}

export async function tabletUsers(): Promise<TabletUser[]> {
  return (await tablet()).getAll("users");
}

export async function tabletUser(userId: string): Promise<TabletUser | undefined> {
  return (await tablet()).get("users", userId);
}

export async function putTabletUser(u: TabletUser): Promise<void> {
  await (await tablet()).put("users", u, u.user.id);
}

/** Forgets a person on this device: their registry entry and their whole database. */
export async function forgetTabletUser(userId: string): Promise<void> {
  await (await tablet()).delete("users", userId);
  const active = await activeSession();
  if (active?.user_id === userId) await setActiveSession(undefined);
  await new Promise<void>((resolve) => {
    const req = indexedDB.deleteDatabase(userDatabaseName(userId));
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  });
}
