/** Small pieces the public screens share. */
import { h } from "../../dom";
import { t } from "../../i18n";
import { ApiError, NetworkError } from "../../../api/errors";
import { request } from "../../../api/client";

export const SERVICES = ["dispute", "legal", "psych", "complaint", "assistance"] as const;

export function serviceName(code: string): string {
  return t(`pub_service_${code}`);
}

export function statusName(code: string): string {
  const key = `pub_status_${code}`;
  const text = t(key);
  return text === key ? code : text;
}

/** A refusal in the resident's words: the server's message (zh-CN + English), or "offline". */
export function problem(e: unknown): string {
  if (e instanceof NetworkError) return t("pub_offline");
  if (e instanceof ApiError) return e.message;
  return String((e as Error)?.message ?? e);
}

export function percent(v: number | null | undefined): string {
  return v === null || v === undefined ? "—" : `${Math.round(v * 1000) / 10}%`;
}

export function card(...children: (Node | string | null | false | undefined)[]): HTMLElement {
  return h("section", { class: "card stack" }, ...children);
}

export interface Community { id: string; code: string; name: string; street: string; stations: { code: string; name: string }[] }

const CACHE = "doorstep.public.communities";
/** The communities (and stations) list, kept on the phone for offline use. */
export async function communities(): Promise<Community[]> {
  try {
    const list = await request<Community[]>("/api/public/communities", { auth: false });
    try { localStorage.setItem(CACHE, JSON.stringify(list)); } catch { /* private mode */ }
    return list;
  } catch {
    try { return JSON.parse(localStorage.getItem(CACHE) ?? "[]") as Community[]; } catch { return []; }
  }
}
