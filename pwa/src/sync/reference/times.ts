/** RFC 3339 UTC timestamps as the server parses them (Z or +00:00 only). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|\+00:00)$/;

/** Microseconds since the epoch, or null when not a valid UTC timestamp. */
export function parseRfc3339(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const m = RFC3339.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const check = new Date(ms);
  if (y! < 1 || check.getUTCFullYear() !== y || check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d || h! > 23 || mi! > 59 || s! > 59) {
    return null;
  }
  const micro = m[7] ? Number((m[7] + "000000").slice(0, 6)) : 0;
  return ms * 1000 + micro;
}

export function rfc3339FromMs(ms: number): string {
  return new Date(ms).toISOString();
}
