/** Small key-value settings kept in the `meta` store. */
import { db } from "./db";

export type MetaKey =
  | "auth"
  | "cursor"
  | "seq"
  | "hlc"
  | "server_offset_ms"
  | "schema"
  | "last_sync_at"
  | "push_endpoint"
  | "device_id";

export async function getMeta<T>(key: MetaKey): Promise<T | undefined> {
  return (await (await db()).get("meta", key)) as T | undefined;
}

export async function setMeta(key: MetaKey, value: unknown): Promise<void> {
  await (await db()).put("meta", value, key);
}

export async function deleteMeta(key: MetaKey): Promise<void> {
  await (await db()).delete("meta", key);
}
