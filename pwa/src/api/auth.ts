/** Login, logout and the stored session. */
import { request } from "./client";
import { getMeta, setMeta } from "../storage/meta";
import { requestPersistence, useDatabaseName, wipeAll } from "../storage/db";
import { activeSession, forgetTabletUser, putTabletUser, setActiveSession, tabletUser, userDatabaseName } from "../storage/tablet";
import { lockActive } from "./pin";
import { adoptLegacyFor } from "../storage/legacy";
import { broadcast } from "../sync/events";
import { rebaseOutbox } from "../storage/outbox";
import type { AuthState, User } from "../types";

interface LoginResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  device_id: string;
  user: User;
}

export function deviceName(): string {
  const ua = typeof navigator === "undefined" ? "" : navigator.userAgent;
  const m = /Android[^;)]*;\s*([^;)]+)/.exec(ua);
  return (m?.[1] ?? (/(iPhone|iPad|Windows|Mac OS X|Linux)/.exec(ua)?.[1] ?? "browser")).slice(0, 60) + " · 家门口";
}

export async function login(username: string, password: string): Promise<User> {
  const body = await request<LoginResponse>("/api/auth/login", {
    method: "POST",
    auth: false,
    json: { username, password, device_name: deviceName() },
  });
  const active = await activeSession();
  if (active && active.user_id !== body.user.id) {
    // Someone else was using this browser. With a PIN (a shared tablet) their session is sealed
    // and their database kept for them; without one it goes, as on a personal phone (the login
    // screen warned about unsent changes first).
    if (!(await lockActive())) await forgetTabletUser(active.user_id);
  }
  // Each person reads and writes only their own database.
  useDatabaseName(userDatabaseName(body.user.id));
  const prevDevice = (await getMeta<string>("device_id")) ?? (await getMeta<AuthState>("auth"))?.device_id;
  // Unsent work an old app version left without a session becomes this person's.
  const adopted = await adoptLegacyFor(body.user.id);
  // The same person logging in again gets a new device: carry the unsent work over to it.
  if (adopted || (prevDevice && prevDevice !== body.device_id)) await rebaseOutbox(body.device_id);
  await setMeta("device_id", body.device_id);
  // A password login replaces any sealed session; the PIN is set again in settings.
  await putTabletUser({ user: body.user, failures: 0 });
  await setActiveSession({ user_id: body.user.id });
  const auth: AuthState = {
    access_token: body.access_token,
    refresh_token: body.refresh_token,
    expires_at: Date.now() + body.expires_in * 1000,
    device_id: body.device_id,
    user: body.user,
  };
  await setMeta("auth", auth);
  void requestPersistence();
  return body.user;
}

/** The unlocked person's stored session, opening their database; none when locked or new. */
export async function currentSession(): Promise<AuthState | undefined> {
  const active = await activeSession();
  if (!active) return undefined;
  useDatabaseName(userDatabaseName(active.user_id));
  return getMeta<AuthState>("auth");
}

/** Whether the logged-in person can lock (they set a PIN on this device). */
export async function hasPin(userId: string): Promise<boolean> {
  return Boolean((await tabletUser(userId))?.pin);
}

/** Revokes this device's tokens (best effort when offline) and wipes local data. */
export async function logout(): Promise<void> {
  try {
    await request("/api/auth/logout", { method: "POST", json: {} });
  } catch {
    /* offline or already revoked: the local wipe is what matters */
  }
  await wipeLocal();
}

export async function wipeLocal(): Promise<void> {
  try {
    const reg = await navigator.serviceWorker?.getRegistration();
    const sub = await reg?.pushManager?.getSubscription();
    await sub?.unsubscribe();
  } catch {
    /* ignore */
  }
  await wipeAll();
  const active = await activeSession();
  if (active) await forgetTabletUser(active.user_id);
  broadcast({ type: "wiped" });
}
