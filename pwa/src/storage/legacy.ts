/**
 * Carries the single database of app versions before the shared tablet (`doorstep`) into the
 * per-person database of the person it belongs to (`doorstep-u-<user id>`), so an app update
 * never loses what someone recorded offline: records, meta (tokens, cursor, seq, clock), outbox,
 * rejected and attachments move as they are, and the person stays logged in.
 *
 * Order matters: the copy is written in one transaction together with the marker
 * `legacy_adopted`; only after it committed is the old database deleted. A crash in between
 * finds the marker on the next start and just finishes the deletion, so the outbox is never
 * copied twice (an entry answered meanwhile would otherwise come back).
 *
 * A legacy database without a session (the old logout wiped everything, so only unsent work
 * could be left) stays readable until the next login, whose person then gets it, as the old
 * version would have sent it under that login.
 */
import { openDB, type IDBPDatabase } from "idb";
import { STORE_NAMES, db, databaseName, useDatabaseName, type DoorstepDB } from "./db";
import { activeSession, pushOwner, putTabletUser, setActiveSession, setPushOwner, tabletUser, userDatabaseName } from "./tablet";
import { withLock } from "../sync/locks";
import type { AuthState } from "../types";

export const LEGACY_NAME = "doorstep";
const MARKER = "legacy_adopted";

type LegacyContents = { [S in (typeof STORE_NAMES)[number]]: { key: IDBValidKey; value: unknown }[] };

async function legacyExists(): Promise<boolean> {
  // Opening a missing database would create it; databases() lists without side effects.
  const list = (await indexedDB.databases?.()) ?? [];
  return list.some((d) => d.name === LEGACY_NAME);
}

function deleteLegacy(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = indexedDB.deleteDatabase(LEGACY_NAME);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error ?? new Error("deleteDatabase failed"));
    // An old tab still open closes on versionchange (its blocking() handler); the delete waits.
  });
}

async function readAll(legacy: IDBPDatabase<DoorstepDB>): Promise<LegacyContents> {
  const tx = legacy.transaction([...STORE_NAMES], "readonly");
  const out = {} as LegacyContents;
  for (const name of STORE_NAMES) {
    const store = tx.objectStore(name);
    const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()]);
    out[name] = keys.map((key, i) => ({ key: key as IDBValidKey, value: values[i] }));
  }
  await tx.done;
  return out;
}

function hasUnsent(c: LegacyContents): boolean {
  return c.outbox.length > 0 || c.rejected.length > 0 || c.attachments.some((a) => !(a.value as { uploaded?: boolean }).uploaded);
}

/** Writes the legacy contents into `userId`'s database with the marker, in one transaction. */
async function copyInto(userId: string, c: LegacyContents, onlyIntoEmpty = false): Promise<boolean> {
  const previous = databaseName();
  useDatabaseName(userDatabaseName(userId));
  try {
    const target = await db();
    if (await target.get("meta", MARKER)) return true; // copied before a crash: only deletion is left
    // Two outboxes cannot be merged safely (their seqs collide): the legacy one waits instead.
    if (onlyIntoEmpty && (await target.count("outbox")) > 0) return false;
    const tx = target.transaction([...STORE_NAMES], "readwrite");
    const writes: Promise<unknown>[] = [];
    for (const name of STORE_NAMES) {
      const store = tx.objectStore(name);
      // meta has out-of-line keys; the other stores have key paths and take the value alone.
      for (const { key, value } of c[name]) writes.push(name === "meta" ? store.put(value as never, key as never) : store.put(value as never));
    }
    writes.push(tx.objectStore("meta").put(Date.now(), MARKER));
    await Promise.all([...writes, tx.done]);
    return true;
  } finally {
    if (previous !== userDatabaseName(userId)) useDatabaseName(previous);
  }
}

/**
 * At start (page and service worker): adopts the legacy database when it holds a session.
 * Returns the adopted person's id, if any. Runs under a Web Lock so two tabs never copy at once.
 */
export function adoptLegacyDatabase(): Promise<string | undefined> {
  return withLock("doorstep-legacy", async () => {
    if (!(await legacyExists())) return undefined;
    const legacy = await openDB<DoorstepDB>(LEGACY_NAME);
    let contents: LegacyContents;
    try {
      // A database without our stores was never written by the app (or was left half-created).
      if (!STORE_NAMES.every((s) => legacy.objectStoreNames.contains(s))) {
        legacy.close();
        await deleteLegacy();
        return undefined;
      }
      contents = await readAll(legacy);
    } finally {
      legacy.close();
    }
    const auth = contents.meta.find((m) => m.key === "auth")?.value as AuthState | undefined;
    if (!auth) {
      if (!hasUnsent(contents)) await deleteLegacy();
      return undefined; // unsent work without a session: kept for the next login (adoptLegacyFor)
    }
    await copyInto(auth.user.id, contents);
    if (!(await tabletUser(auth.user.id))) await putTabletUser({ user: auth.user, failures: 0 });
    // The old version had one person logged in: they stay logged in, unless someone already is.
    if (!(await activeSession())) await setActiveSession({ user_id: auth.user.id });
    // Their push subscription (if any) still delivers here: its notifications are theirs.
    if (contents.meta.some((m) => m.key === "push_endpoint") && !(await pushOwner())) await setPushOwner(auth.user.id);
    await deleteLegacy();
    return auth.user.id;
  });
}

/**
 * At login: a legacy database left without a session (unsent work) goes to this person, as the
 * old version would have sent it under their login. True when something was adopted: the caller
 * then moves the outbox to the new device (rebaseOutbox).
 */
export function adoptLegacyFor(userId: string): Promise<boolean> {
  return withLock("doorstep-legacy", async () => {
    if (!(await legacyExists())) return false;
    const legacy = await openDB<DoorstepDB>(LEGACY_NAME);
    let contents: LegacyContents;
    try {
      if (!STORE_NAMES.every((s) => legacy.objectStoreNames.contains(s))) return false;
      contents = await readAll(legacy);
    } finally {
      legacy.close();
    }
    // Old tokens would overwrite the fresh login's: the session is the new one.
    contents.meta = contents.meta.filter((m) => m.key === "seq" || m.key === "hlc");
    if (!(await copyInto(userId, contents, true))) return false;
    await deleteLegacy();
    return contents.outbox.length > 0;
  });
}
