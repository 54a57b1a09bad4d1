/**
 * fetch with the device's Bearer token. Refreshes the token once on `401 token_expired` (or a
 * little before expiry). Refresh tokens rotate and a reused one revokes the device, so refreshing
 * is serialised across tabs with a Web Lock and re-reads the stored tokens inside it.
 */
import { ApiError, DeviceRevokedError, LoginRequiredError, NetworkError } from "./errors";
import { getMeta, setMeta } from "../storage/meta";
import { withLock } from "../sync/locks";
import type { AuthState } from "../types";

export interface RequestOptions {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
  auth?: boolean;
  signal?: AbortSignal;
  /** extra headers (Accept-Language for answers written in the app's language) */
  headers?: Record<string, string>;
}

/** Tests point this at a fake server. */
export let fetchImpl: typeof fetch = (...args) => fetch(...args);
export function setFetch(f: typeof fetch): void {
  fetchImpl = f;
}

let baseUrl = "";
export function setBaseUrl(url: string): void {
  baseUrl = url;
}

/** Seen by the sync loop to correct the HLC's physical time. */
export let lastServerOffsetMs: number | undefined;

async function errorFrom(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText;
  let details: Record<string, unknown> = {};
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
    if (body.error?.details) details = body.error.details;
  } catch {
    /* not JSON */
  }
  const retry = res.headers.get("Retry-After");
  const err = new ApiError(res.status, code, message, details, retry ? Number(retry) || undefined : undefined);
  if (res.status === 401 && code === "device_revoked") return new DeviceRevokedError(code);
  return err;
}

async function send(path: string, opts: RequestOptions, token?: string): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  let body = opts.body;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.contentType) {
    headers["Content-Type"] = opts.contentType;
  }
  if (token) headers["Authorization"] = `Bearer ${token}`;
  try {
    return await fetchImpl(baseUrl + path, {
      method: opts.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
      signal: opts.signal,
      cache: "no-store",
    });
  } catch (e) {
    if ((e as Error)?.name === "AbortError") throw e;
    throw new NetworkError(String((e as Error)?.message ?? e));
  }
}

/** Exchanges the refresh token once, unless another tab already did while we waited. */
async function refresh(staleAccessToken: string): Promise<AuthState> {
  return withLock("doorstep-auth-refresh", async () => {
    const auth = await getMeta<AuthState>("auth");
    if (!auth) throw new LoginRequiredError("logged_out");
    if (auth.access_token !== staleAccessToken && auth.expires_at > Date.now() + 10_000) return auth;
    const res = await send("/api/auth/refresh", { method: "POST", json: { refresh_token: auth.refresh_token } });
    if (!res.ok) {
      const err = await errorFrom(res);
      // Revoked (or a reused refresh token, which revokes): wipe. Expired or disabled: log in
      // again, keeping the unsent work.
      if (err instanceof DeviceRevokedError) throw err;
      if (res.status === 401) throw new LoginRequiredError(err.code);
      throw err;
    }
    const body = (await res.json()) as { access_token: string; refresh_token: string; expires_in: number };
    const next: AuthState = {
      ...auth,
      access_token: body.access_token,
      refresh_token: body.refresh_token,
      expires_at: Date.now() + body.expires_in * 1000,
    };
    await setMeta("auth", next);
    return next;
  });
}

/** Sends a request; returns the parsed JSON body (or null for an empty body). */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  let token: string | undefined;
  if (opts.auth !== false) {
    let auth = await getMeta<AuthState>("auth");
    if (!auth) throw new LoginRequiredError("logged_out");
    if (auth.expires_at < Date.now() + 15_000) auth = await refresh(auth.access_token);
    token = auth.access_token;
  }
  const started = Date.now();
  let res = await send(path, opts, token);
  if (res.status === 401 && token) {
    const err = await errorFrom(res);
    if (err instanceof DeviceRevokedError) throw err;
    if (err.code !== "token_expired" && err.code !== "invalid_token") throw new LoginRequiredError(err.code);
    token = (await refresh(token)).access_token;
    res = await send(path, opts, token);
    if (res.status === 401) {
      const again = await errorFrom(res);
      throw again instanceof DeviceRevokedError ? again : new LoginRequiredError(again.code);
    }
  }
  if (!res.ok) throw await errorFrom(res);
  noteServerTime(res, started);
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** The Date header gives a coarse offset; sync responses' server_time refine it. */
function noteServerTime(res: Response, started: number): void {
  const date = res.headers.get("Date");
  if (!date) return;
  const server = Date.parse(date);
  if (!Number.isNaN(server)) lastServerOffsetMs = server + 500 - (started + Date.now()) / 2;
}

/** GET a binary resource with the token (attachments), as a Blob. */
export async function requestBlob(path: string): Promise<Blob> {
  let auth = await getMeta<AuthState>("auth");
  if (!auth) throw new LoginRequiredError("logged_out");
  if (auth.expires_at < Date.now() + 15_000) auth = await refresh(auth.access_token);
  const res = await send(path, { method: "GET" }, auth.access_token);
  if (!res.ok) throw await errorFrom(res);
  return res.blob();
}

/**
 * Opens a long response (a Server-Sent Events stream) with the token in the Authorization header
 * (EventSource cannot send one, and a token in the URL would end up in access logs). Refreshes
 * once on an expired token, like `request`; the caller reads `res.body`.
 */
export async function openStream(path: string, signal: AbortSignal): Promise<Response> {
  let auth = await getMeta<AuthState>("auth");
  if (!auth) throw new LoginRequiredError("logged_out");
  if (auth.expires_at < Date.now() + 15_000) auth = await refresh(auth.access_token);
  let res = await send(path, { method: "GET", signal }, auth.access_token);
  if (res.status === 401) {
    const err = await errorFrom(res);
    if (err instanceof DeviceRevokedError) throw err;
    res = await send(path, { method: "GET", signal }, (await refresh(auth.access_token)).access_token);
  }
  if (!res.ok) throw await errorFrom(res);
  return res;
}
