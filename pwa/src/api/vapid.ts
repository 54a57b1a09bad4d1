/** Worker-safe half of push setup (the service worker re-subscribes with these too). */
import { request } from "./client";

export function base64UrlToBytes(s: string): Uint8Array<ArrayBuffer> {
  const b64 = (s + "=".repeat((4 - (s.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function vapidPublicKey(): Promise<string> {
  const body = await request<Record<string, string>>("/api/push/vapid-public-key");
  const key = body["public_key"] ?? body["key"] ?? body["vapid_public_key"] ?? body["publicKey"];
  if (!key) throw new Error("no vapid key");
  return key;
}

