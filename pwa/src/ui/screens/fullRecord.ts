/**
 * The whole record, read online (COMMAND_API.md "Supervisors' devices hold less").
 *
 * Street and district admins' devices hold a reduced copy of the disputes they act on (parties
 * as "张*" and a role, no phone) and none of the others; opening one asks
 * `GET /api/records/{collection}/{id}` for the whole record. The answer stays in memory for
 * this page only (never in IndexedDB), keyed by version, so a re-render after a sync does not
 * read again (each read of personal data is written to the server's access log).
 */
import { request } from "../../api/client";
import { ApiError, NetworkError } from "../../api/errors";
import { addText } from "../i18n";
import type { Fields } from "../../types";

addText({
  full_record_offline: ["需要网络查看完整信息", "Network needed to view the full record"],
  full_record_reduced: ["本机只保存脱敏信息，完整信息需在线查看", "This device holds reduced data; the full record is read online"],
  full_record_forbidden: ["该记录不在您的范围内", "This record is outside your scope"],
  full_record_logged: ["查看完整信息会记入访问日志", "Viewing the full record is written to the access log"],
});

/** Roles whose devices hold a minimised copy of their subtree. */
export const SUPERVISOR_ROLES = ["street_admin", "district_admin"];

export interface OnlineRecord {
  version: number;
  deleted: boolean;
  fields: Fields;
}

export type FullRead =
  | { kind: "full"; record: OnlineRecord }
  | { kind: "offline" }
  | { kind: "forbidden" }
  | { kind: "missing" };

const cache = new Map<string, OnlineRecord>();

/**
 * The whole record, or why not. `knownVersion` is the version the device holds (0: none): a
 * cached answer at least that new is reused.
 */
export async function readFullRecord(collection: string, id: string, knownVersion = 0): Promise<FullRead> {
  const key = `${collection}/${id}`;
  const cached = cache.get(key);
  if (cached && cached.version >= knownVersion) return { kind: "full", record: cached };
  if (typeof navigator !== "undefined" && navigator.onLine === false) return { kind: "offline" };
  try {
    const record = await request<OnlineRecord>(`/api/records/${encodeURIComponent(collection)}/${encodeURIComponent(id)}`);
    cache.set(key, record);
    return { kind: "full", record };
  } catch (e) {
    if (e instanceof NetworkError) return { kind: "offline" };
    if (e instanceof ApiError && e.status === 403) return { kind: "forbidden" };
    if (e instanceof ApiError && e.status === 404) return { kind: "missing" };
    if (e instanceof ApiError && (e.status === 503 || e.status === 429)) return { kind: "offline" };
    throw e;
  }
}
