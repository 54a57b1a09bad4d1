/** Login, logout and the stored session. */
import { request } from "./client";
import { getMeta, setMeta } from "../storage/meta";
import { requestPersistence, wipeAll } from "../storage/db";
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
  const prev = await getMeta<AuthState>("auth");
  // Another user's leftovers must never mix with this session (the login screen warned first).
  if (prev && prev.user.id !== body.user.id) await wipeAll();
  // The same person logging in again gets a new device: carry the unsent work over to it.
  else if (prev && prev.device_id !== body.device_id) await rebaseOutbox(body.device_id);
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

export async function currentSession(): Promise<AuthState | undefined> {
  return getMeta<AuthState>("auth");
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
  broadcast({ type: "wiped" });
}
