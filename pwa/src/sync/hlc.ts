/**
 * Hybrid logical clock: "<13-digit ms>-<4 hex counter>-<device_id>", compared as strings.
 * Physical time is the device clock corrected by the offset to the server's clock, so a phone
 * whose clock is wrong still orders its edits sensibly against everyone else's.
 */

export interface HlcState {
  ms: number;
  counter: number;
}

const MAX_COUNTER = 0xffff;

export function formatHlc(ms: number, counter: number, deviceId: string): string {
  return `${String(Math.max(0, Math.floor(ms))).padStart(13, "0")}-${counter
    .toString(16)
    .padStart(4, "0")}-${deviceId}`;
}

export function parseHlc(hlc: string): { ms: number; counter: number; deviceId: string } | null {
  const m = /^(\d{13})-([0-9a-f]{4})-(.+)$/.exec(hlc);
  if (!m) return null;
  return { ms: Number(m[1]), counter: parseInt(m[2]!, 16), deviceId: m[3]! };
}

/** The next clock value for a local event. Never goes backwards, even if physical time does. */
export function tick(prev: HlcState | undefined, physicalMs: number): HlcState {
  const last = prev ?? { ms: 0, counter: 0 };
  if (physicalMs > last.ms) return { ms: physicalMs, counter: 0 };
  if (last.counter >= MAX_COUNTER) return { ms: last.ms + 1, counter: 0 };
  return { ms: last.ms, counter: last.counter + 1 };
}

/** Folds in a clock seen from elsewhere so our next tick is after it. */
export function receive(prev: HlcState | undefined, remote: string, physicalMs: number): HlcState {
  const r = parseHlc(remote);
  const last = prev ?? { ms: 0, counter: 0 };
  if (!r) return tick(last, physicalMs);
  const ms = Math.max(last.ms, r.ms, physicalMs);
  let counter = 0;
  if (ms === last.ms && ms === r.ms) counter = Math.max(last.counter, r.counter) + 1;
  else if (ms === last.ms) counter = last.counter + 1;
  else if (ms === r.ms) counter = r.counter + 1;
  if (counter > MAX_COUNTER) return { ms: ms + 1, counter: 0 };
  return { ms, counter };
}

export function compareHlc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
