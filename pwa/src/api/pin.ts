/**
 * The per-user PIN of a shared hall tablet: a local unlock, not a login. After one online login
 * a person may set a PIN; locking seals their tokens, unlocking with the PIN opens them again.
 *
 * How: a random AES-GCM session key encrypts the person's tokens while they are locked; that key
 * is wrapped with a key derived from the PIN by PBKDF2-SHA-256 (310,000 iterations, 16-byte
 * random salt), all WebCrypto. A wrong PIN fails to unwrap (AES-GCM authenticates), so no PIN
 * hash is stored. After 5 wrong PINs the sealed tokens are deleted and the password is needed.
 *
 * What it protects: while locked, the person's tokens exist only encrypted, the app never opens
 * their database for anyone else, and nobody at the tablet can act as them on the server or see
 * their records through the app without the PIN (or their password).
 * What it does not: their records and outbox in IndexedDB are not encrypted, so someone with
 * the browser's developer tools or the disk can read them; a short PIN can be guessed offline
 * from the wrapped key by someone who copies the browser profile; the server does not know the
 * PIN (revoking the device from the admin screen is the remedy for a lost tablet). A locked
 * person's outbox waits on the tablet and syncs when they next unlock.
 */
import { getMeta, setMeta, deleteMeta } from "../storage/meta";
import { activeSession, putTabletUser, setActiveSession, tabletUser, type TabletUser } from "../storage/tablet";
import type { AuthState } from "../types";

const ITERATIONS = 310_000;
export const MAX_FAILURES = 5;
const enc = new TextEncoder();

export function validPin(pin: string): boolean {
  return /^\d{4,8}$/.test(pin);
}

async function pinKey(pin: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", enc.encode(pin), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["wrapKey", "unwrapKey"],
  );
}

/** Sets (or changes) the PIN of the logged-in person; they stay unlocked. */
export async function setPin(userId: string, pin: string): Promise<void> {
  if (!validPin(pin)) throw new Error("pin_format");
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const session = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const wrapped = await crypto.subtle.wrapKey("raw", session, await pinKey(pin, salt, ITERATIONS), { name: "AES-GCM", iv: iv as BufferSource });
  const entry = await tabletUser(userId);
  if (!entry) throw new Error("unknown_user");
  await putTabletUser({ ...entry, pin: { salt, iterations: ITERATIONS, wrapped, iv }, failures: 0 });
  await setActiveSession({ user_id: userId, key: session });
}

/**
 * Locks the active person: their tokens are sealed with the session key and removed in the
 * clear; the key leaves memory and storage. Returns false when they have no PIN (nothing to
 * unlock with later, so they are not locked).
 */
export async function lockActive(): Promise<boolean> {
  const active = await activeSession();
  if (!active?.key) return false;
  const entry = await tabletUser(active.user_id);
  const auth = await getMeta<AuthState>("auth");
  if (!entry?.pin || !auth) return false;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv: iv as BufferSource }, active.key, enc.encode(JSON.stringify(auth)));
  await putTabletUser({ ...entry, sealed: { iv, data } });
  await deleteMeta("auth");
  await setActiveSession(undefined);
  return true;
}

export type UnlockResult = "ok" | "wrong" | "locked_out";

/** Opens a locked person's session with their PIN (the caller then opens their database). */
export async function unlock(entry: TabletUser, pin: string): Promise<{ result: UnlockResult; auth?: AuthState; key?: CryptoKey }> {
  if (!entry.pin || !entry.sealed) return { result: "locked_out" };
  let key: CryptoKey;
  try {
    key = await crypto.subtle.unwrapKey("raw", entry.pin.wrapped, await pinKey(pin, entry.pin.salt, entry.pin.iterations),
      { name: "AES-GCM", iv: entry.pin.iv as BufferSource }, "AES-GCM", true, ["encrypt", "decrypt"]);
  } catch {
    const failures = entry.failures + 1;
    // Too many guesses: the sealed tokens go; the password (online) is the way back in.
    await putTabletUser(failures >= MAX_FAILURES ? { ...entry, sealed: undefined, failures } : { ...entry, failures });
    return { result: failures >= MAX_FAILURES ? "locked_out" : "wrong" };
  }
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: entry.sealed.iv as BufferSource }, key, entry.sealed.data);
  await putTabletUser({ ...entry, sealed: undefined, failures: 0 });
  return { result: "ok", auth: JSON.parse(new TextDecoder().decode(plain)) as AuthState, key };
}

/** After unlocking and opening the person's database: their tokens back in place. */
export async function restoreSession(auth: AuthState, key: CryptoKey): Promise<void> {
  await setMeta("auth", auth);
  await setActiveSession({ user_id: auth.user.id, key });
}
