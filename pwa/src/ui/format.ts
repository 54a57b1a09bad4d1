/**
 * Times on screen are Asia/Shanghai (UTC+8, no daylight saving), whatever the phone's zone.
 * Stored and sent times are RFC 3339 UTC.
 */
import { lang } from "./i18n";

const SHANGHAI_OFFSET_MS = 8 * 3600_000;

function fmt(opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(lang() === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai", hour12: false, ...opts });
}

export function formatDateTime(iso: unknown): string {
  if (typeof iso !== "string" && typeof iso !== "number") return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  return fmt({ year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).format(d);
}

export function formatTime(iso: unknown): string {
  if (typeof iso !== "string" && typeof iso !== "number") return "—";
  return fmt({ hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

export function formatDay(d: Date): string {
  return fmt({ month: "2-digit", day: "2-digit", weekday: "short" }).format(d);
}

/** "2025-11-24T08:00" (a datetime-local value, read as Shanghai time) → UTC RFC 3339. */
export function localInputToIso(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!m) return undefined;
  const utc = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!) - SHANGHAI_OFFSET_MS;
  return new Date(utc).toISOString();
}

/** UTC RFC 3339 → a datetime-local value in Shanghai time. */
export function isoToLocalInput(iso: unknown): string {
  if (typeof iso !== "string") return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  return new Date(t + SHANGHAI_OFFSET_MS).toISOString().slice(0, 16);
}

/** Midnight (Shanghai) of the day holding `ms`, as epoch ms. */
export function shanghaiDayStart(ms: number): number {
  const local = ms + SHANGHAI_OFFSET_MS;
  return local - (local % 86_400_000) - SHANGHAI_OFFSET_MS;
}

/** "2天3小时" / "overdue 25 min": a countdown to a deadline. */
export function countdown(deadlineIso: unknown, now = Date.now()): { text: string; overdue: boolean } {
  const t = typeof deadlineIso === "string" ? Date.parse(deadlineIso) : NaN;
  if (Number.isNaN(t)) return { text: "—", overdue: false };
  let diff = Math.abs(t - now);
  const overdue = t < now;
  const d = Math.floor(diff / 86_400_000);
  diff -= d * 86_400_000;
  const hr = Math.floor(diff / 3_600_000);
  diff -= hr * 3_600_000;
  const min = Math.floor(diff / 60_000);
  const sec = Math.floor((diff - min * 60_000) / 1000);
  const zh = lang() === "zh";
  const parts = d > 0 ? (zh ? `${d}天${hr}小时` : `${d}d ${hr}h`) : hr > 0 ? (zh ? `${hr}小时${min}分` : `${hr}h ${min}m`) : zh ? `${min}分${sec}秒` : `${min}m ${sec}s`;
  return { text: overdue ? (zh ? `已超时 ${parts}` : `overdue ${parts}`) : zh ? `剩余 ${parts}` : `${parts} left`, overdue };
}
