/**
 * The one merge rule the app applies itself: the `set` policy, so the optimistic view shows a
 * pending set edit on top of what the server has now, the way the server will store it. Every
 * other merge (lww, manual, state, conflicts) is the server's alone: the pull shows its outcome.
 * sync/vectors/set.json pins this function to the server's (test/vectors.test.ts).
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
