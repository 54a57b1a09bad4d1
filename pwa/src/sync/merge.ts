/**
 * The merge rules of SYNC_PROTOCOL.md's field policies, shared by the optimistic view (what the
 * screens show before the server answers) and by the TypeScript port of the engine that the
 * shared vectors in sync/vectors/ check (reference-engine.ts).
 */

/** JSON with sorted keys: set members and values are compared by content, not identity. */
export function canonical(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
    .join(",")}}`;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/**
 * `set` policy: (theirs ∪ (yours − base)) − (base − yours). Order: theirs' order, then what
 * yours added, in yours' order; duplicates collapse.
 */
export function mergeSet(base: unknown, theirs: unknown, yours: unknown): unknown[] {
  const b = new Set(asList(base).map(canonical));
  const y = new Set(asList(yours).map(canonical));
  const removed = new Set([...b].filter((k) => !y.has(k)));
  const out: unknown[] = [];
  const seen = new Set<string>();
  for (const item of [...asList(theirs), ...asList(yours).filter((i) => !b.has(canonical(i)))]) {
    const k = canonical(item);
    if (seen.has(k) || removed.has(k)) continue;
    seen.add(k);
    out.push(item);
  }
  return out;
}

/** A mutation the rules refuse; `error` is the protocol's error object. */
export class Rejected extends Error {
  constructor(readonly error: { code: string; message: string; details: Record<string, unknown> }) {
    super(`${error.code}: ${error.message}`);
  }
}

export function reject(code: string, message: string, details: Record<string, unknown> = {}): Rejected {
  return new Rejected({ code, message, details });
}

/** What happens to one field: write `value`, keep the server's, or open a conflict. */
export interface Outcome {
  kind: "apply" | "keep" | "conflict";
  value?: unknown;
  conflictKind?: "field" | "state";
  discarded?: unknown;
  hasDiscarded?: boolean;
}

/** lww: a non-concurrent edit always applies (the device saw theirs); else the higher HLC wins. */
export function mergeLww(theirs: unknown, yours: unknown, concurrent: boolean, theirsHlc: string | undefined, yoursHlc: string): Outcome {
  if (sameValue(theirs, yours)) {
    // Same value with a higher clock still moves the field's clock, or a third concurrent write
    // with a clock in between would beat it.
    if (concurrent && theirsHlc !== undefined && yoursHlc > theirsHlc) return { kind: "apply", value: yours };
    return { kind: "keep" };
  }
  if (!concurrent) return { kind: "apply", value: yours };
  if (theirsHlc === undefined || yoursHlc > theirsHlc) return { kind: "apply", value: yours, discarded: theirs, hasDiscarded: true };
  return { kind: "keep", discarded: yours, hasDiscarded: true };
}

/** manual: concurrent different values go to a person; the server keeps its value meanwhile. */
export function mergeManual(theirs: unknown, yours: unknown, concurrent: boolean): Outcome {
  if (sameValue(theirs, yours)) return { kind: "keep" };
  if (!concurrent) return { kind: "apply", value: yours };
  return { kind: "conflict", conflictKind: "field" };
}

/** The server's rule: unset → any known state; otherwise only listed moves (staying is "same"). */
export function allowed(machine: Record<string, string[]>, current: unknown, target: unknown): boolean {
  if (current === undefined || current === null) return typeof target === "string" && target in machine;
  return (machine[String(current)] ?? []).includes(target as string);
}

/**
 * state: not concurrent, a disallowed move is the device's mistake (the whole mutation is
 * rejected); concurrent, yours applies if allowed from the server's state, else a person decides.
 */
export function mergeState(name: string, machine: Record<string, string[]>, theirs: unknown, yours: unknown, concurrent: boolean): Outcome {
  if (sameValue(theirs, yours)) return { kind: "keep" };
  if (allowed(machine, theirs, yours)) return { kind: "apply", value: yours };
  if (!concurrent) {
    throw reject("invalid_transition", `${name} cannot go from ${String(theirs)} to ${String(yours)}`, { field: name, from: theirs ?? null, to: yours ?? null });
  }
  return { kind: "conflict", conflictKind: "state" };
}

export interface MergeInput {
  base: unknown;
  theirs: unknown;
  yours: unknown;
  concurrent: boolean;
  theirsHlc: string | undefined;
  yoursHlc: string;
}

/** Dispatch on the policy (immutable/server were validated before, as on the server). */
export function mergeField(name: string, policy: string, machine: Record<string, string[]> | undefined, i: MergeInput): Outcome {
  switch (policy) {
    case "lww":
      return mergeLww(i.theirs, i.yours, i.concurrent, i.theirsHlc, i.yoursHlc);
    case "manual":
      return mergeManual(i.theirs, i.yours, i.concurrent);
    case "set": {
      const merged = mergeSet(i.base, i.theirs, i.yours);
      return sameValue(merged, i.theirs) ? { kind: "keep" } : { kind: "apply", value: merged };
    }
    case "state":
      return mergeState(name, machine ?? {}, i.theirs, i.yours, i.concurrent);
    case "immutable":
      return sameValue(i.theirs, i.yours) ? { kind: "keep" } : { kind: "apply", value: i.yours };
    default:
      throw reject("read_only_field", `${name} is written by the server only`, { field: name });
  }
}
