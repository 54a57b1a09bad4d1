/**
 * The resident's outbox: an appeal is kept on the phone until the server has answered for it,
 * like the staff's sync outbox (and in its own small database, since a resident has no account).
 * Each entry carries a `client_id`; a resend after a lost answer gets the same tracking code, so
 * an appeal arrives exactly once however often the phone retries.
 */
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import { submitAppeal, uploadPhoto, type AppealBody } from "./api";
import { ApiError } from "../api/errors";

export interface OutboxEntry {
  client_id: string;
  body: AppealBody;
  photos: { sha: string; blob: Blob }[];
  created_at: number;
  /** the last refusal the resident must see (a 4xx other than 429) */
  error?: string;
}

export interface MyAppeal {
  code: string;
  title: string;
  at: number;
}

interface PublicDB extends DBSchema {
  outbox: { key: string; value: OutboxEntry };
  mine: { key: string; value: MyAppeal };
}

let opened: Promise<IDBPDatabase<PublicDB>> | undefined;
function pdb(): Promise<IDBPDatabase<PublicDB>> {
  opened ??= openDB<PublicDB>("doorstep-public", 1, {
    upgrade(d) {
      d.createObjectStore("outbox", { keyPath: "client_id" });
      d.createObjectStore("mine", { keyPath: "code" });
    },
  });
  return opened;
}

export async function queueAppeal(body: Omit<AppealBody, "client_id" | "photos">, photos: { sha: string; blob: Blob }[]): Promise<OutboxEntry> {
  const entry: OutboxEntry = {
    client_id: crypto.randomUUID(),
    body: { ...body, client_id: "", photos: photos.map((p) => p.sha) },
    photos,
    created_at: Date.now(),
  };
  entry.body.client_id = entry.client_id;
  await (await pdb()).put("outbox", entry);
  return entry;
}

export async function pending(): Promise<OutboxEntry[]> {
  return (await pdb()).getAll("outbox");
}

export async function myAppeals(): Promise<MyAppeal[]> {
  return ((await (await pdb()).getAll("mine")) ?? []).sort((a, b) => b.at - a.at);
}

export async function rememberCode(code: string, title: string): Promise<void> {
  await (await pdb()).put("mine", { code, title, at: Date.now() });
}

export type Sent = { entry: OutboxEntry; code: string };
const listeners = new Set<(sent: Sent) => void>();
/** Told when an entry has been answered with its tracking code. */
export function onSent(fn: (sent: Sent) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

let flushing: Promise<void> | undefined;
/** Send what waits, oldest first; stop at the first network failure (we are offline). */
export function flush(): Promise<void> {
  flushing ??= (async () => {
    try {
      for (const entry of (await pending()).sort((a, b) => a.created_at - b.created_at)) {
        if (!(await sendOne(entry))) break;
      }
    } finally {
      flushing = undefined;
    }
  })();
  return flushing;
}

async function sendOne(entry: OutboxEntry): Promise<boolean> {
  const d = await pdb();
  try {
    for (const photo of entry.photos) await uploadPhoto(photo.sha, photo.blob);
    const answer = await submitAppeal(entry.body);
    const tx = d.transaction(["outbox", "mine"], "readwrite");
    await tx.objectStore("mine").put({ code: answer.tracking_code, title: entry.body.title, at: Date.now() });
    await tx.objectStore("outbox").delete(entry.client_id);
    await tx.done;
    for (const fn of listeners) fn({ entry, code: answer.tracking_code });
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429 && e.status !== 408) {
      // refused for good: keep it, with the reason, so the resident can see and copy it
      await d.put("outbox", { ...entry, error: e.message });
      return true;
    }
    return false; // offline, 429 or 5xx: try again later
  }
}

let started = false;
/** Retry when the phone comes online, and every 30 s while a page is open. */
export function startOutbox(): void {
  if (started) return;
  started = true;
  window.addEventListener("online", () => void flush());
  setInterval(() => { if (navigator.onLine) void flush(); }, 30_000);
  void flush();
}
