/**
 * Notices and warnings in the viewer's language. The server stores a notice as a template key and
 * its parameters (`template`, `params`); the catalogue is the server's own
 * (server/notify/templates.json, copied to src/notices/templates.json and held equal by a test).
 * Older notices without a template show their stored title and body.
 */
import catalogue from "../notices/templates.json";
import { lang } from "./i18n";

type PairList = [[string, string], [string, string]];
const notices = catalogue.notices as unknown as Record<string, PairList>;
const enums = catalogue.enums as unknown as Record<string, Record<string, [string, string]>>;
const MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");

function idx(): 0 | 1 {
  return lang() === "en" ? 1 : 0;
}

function shanghai(iso: string): { month: number; day: number; hm: string } | null {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return { month: Number(get("month")), day: Number(get("day")), hm: `${get("hour")}:${get("minute")}` };
}

export function formatParam(name: string, value: unknown): string {
  const text = value == null ? "" : String(value);
  const e = enums[name];
  if (e && e[text]) return e[text][idx()];
  if (name.endsWith("_time") || name.endsWith("_date")) {
    const m = shanghai(text);
    if (!m) return text;
    const day = idx() ? `${MONTHS[m.month - 1]} ${m.day}` : `${m.month}月${m.day}日`;
    return name.endsWith("_date") ? day : `${day} ${m.hm}`;
  }
  return text;
}

export function fill(text: string, params: Record<string, unknown>): string {
  let out = text;
  for (const [k, v] of Object.entries(params)) out = out.split(`{${k}}`).join(formatParam(k, v));
  return out;
}

/** Title and body of a notification record, in the app's language. */
export function noticeText(fields: Record<string, unknown>): { title: string; body: string } {
  const template = typeof fields["template"] === "string" ? notices[fields["template"]] : undefined;
  if (!template) return { title: String(fields["title"] ?? ""), body: String(fields["body"] ?? "") };
  const params = (fields["params"] && typeof fields["params"] === "object" ? fields["params"] : {}) as Record<string, unknown>;
  const [title, body] = template[idx()];
  return { title: fill(title, params), body: fill(body, params) };
}

const WARNING_SOURCES: Record<string, string> = {
  dispute: "warning_dispute", psych: "warning_psych", dispatch_overdue: "warning_dispatch_overdue",
};

/** A warning's message: as written in Chinese; in English, the rule's own text for its source
 * (a warning raised by hand keeps the words its author wrote). */
export function warningMessage(fields: Record<string, unknown>): string {
  const stored = String(fields["message"] ?? "");
  const key = WARNING_SOURCES[String(fields["source"] ?? "")];
  if (!idx() || !key) return stored;
  return notices[key][1][1];
}
