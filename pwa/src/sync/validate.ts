/**
 * Field checks the app runs before a change is queued, so a person sees a bad value next to the
 * input, in their language, instead of a rejection minutes later. They mirror the server's
 * sync/validate.py (same rules, same order) and the shared vectors in sync/vectors/validation.json
 * pin the two together; the server stays the authority and checks everything again.
 */
import { schema, type FieldSpec } from "../schema";
import { canonical } from "./merge";

/** Why a value does not fit: a kind the UI translates, plus the numbers it needs. */
export interface Problem {
  kind:
    | "required" | "not_text" | "too_long" | "one_line" | "nul" | "not_integer" | "out_of_range"
    | "not_boolean" | "datetime" | "enum" | "ref" | "geo" | "list" | "too_many" | "item" | "duplicates"
    | "json" | "unknown_field" | "read_only" | "immutable" | "ends_before_starts" | "deadline_order"
    | "deadline_past";
  max?: number;
  min?: number;
}

export type Problems = Record<string, Problem>;

const SAFE_INTEGER = 2 ** 53 - 1;
const TEXT_MAX = 10_000;
const LIST_MAX_ITEMS = 200;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHA256_RE = /^[0-9a-f]{64}$/;
const PARTY_MAX: Record<string, number> = { name: 200, phone: 32, role: 64 };
/** A mediation agreement's party: never a whole ID number, only its last four characters. */
const AGREEMENT_PARTY_MAX: Record<string, number> = { name: 200, id_number_last4: 4, role: 64 };
const LAST4_RE = /^[0-9]{3}[0-9X]$/;
const SIGNATURE_KEYS = ["attachment", "party_name", "signed_at"];
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|\+00:00)$/;
/** Set by the server on every record; a device never writes them. */
export const COMMON_FIELD_NAMES = new Set(["id", "version", "created_at", "updated_at", "created_by"]);

/** Python counts code points, not UTF-16 units. */
const length = (s: string): number => [...s].length;
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

export function isUuid(v: unknown): boolean {
  return typeof v === "string" && UUID_RE.test(v);
}

/** Epoch ms of an RFC 3339 UTC timestamp as the server accepts it (Z or +00:00), else null. */
export function parseUtc(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const m = RFC3339.exec(value);
  if (!m) return null;
  const [y, mo, d, hh, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const ms = Date.UTC(y!, mo! - 1, d!, hh!, mi!, s!);
  const back = new Date(ms);
  if (y! < 1 || back.getUTCFullYear() !== y || back.getUTCMonth() !== mo! - 1 || back.getUTCDate() !== d || hh! > 23 || mi! > 59 || s! > 59) return null;
  return ms;
}

function hasNul(v: unknown): boolean {
  if (typeof v === "string") return v.includes("\u0000");
  if (Array.isArray(v)) return v.some(hasNul);
  if (v && typeof v === "object") return Object.entries(v).some(([k, x]) => hasNul(k) || hasNul(x));
  return false;
}

function checkString(f: FieldSpec, v: unknown, oneLine: boolean): Problem | null {
  if (typeof v !== "string") return { kind: "not_text" };
  if (f.max_length !== undefined && length(v) > f.max_length) return { kind: "too_long", max: f.max_length };
  if (oneLine && (v.includes("\n") || v.includes("\r"))) return { kind: "one_line" };
  if (v.includes("\u0000")) return { kind: "nul" };
  return null;
}

function checkGeo(v: unknown): Problem | null {
  if (!v || typeof v !== "object" || Array.isArray(v)) return { kind: "geo" };
  const o = v as Record<string, unknown>;
  if (Object.keys(o).some((k) => !["lat", "lng", "accuracy_m"].includes(k))) return { kind: "geo" };
  if (!isNumber(o["lat"]) || o["lat"] < -90 || o["lat"] > 90) return { kind: "geo" };
  if (!isNumber(o["lng"]) || o["lng"] < -180 || o["lng"] > 180) return { kind: "geo" };
  const acc = o["accuracy_m"];
  if (acc !== undefined && acc !== null && (!isNumber(acc) || acc < 0)) return { kind: "geo" };
  return null;
}

function checkItem(kind: string | undefined, item: unknown): Problem | null {
  if (kind === "attachment") return typeof item === "string" && SHA256_RE.test(item) ? null : { kind: "item" };
  if (kind === "party") {
    if (!item || typeof item !== "object" || Array.isArray(item) || !Object.keys(item).every((k) => k in PARTY_MAX)) return { kind: "item" };
    for (const [k, val] of Object.entries(item as Record<string, unknown>)) {
      if (typeof val !== "string" || length(val) > PARTY_MAX[k]!) return { kind: "item", max: PARTY_MAX[k] };
    }
    return (item as Record<string, unknown>)["name"] ? null : { kind: "item" };
  }
  if (kind === "agreement_party") return checkAgreementParty(item);
  if (kind === "signature") return checkSignature(item);
  return typeof item === "string" && item && length(item) <= 200 ? null : { kind: "item", max: 200 };
}

function checkAgreementParty(item: unknown): Problem | null {
  if (!item || typeof item !== "object" || Array.isArray(item)) return { kind: "item" };
  const o = item as Record<string, unknown>;
  if (!Object.keys(o).every((k) => k in AGREEMENT_PARTY_MAX)) return { kind: "item" };
  for (const [k, val] of Object.entries(o)) {
    if (typeof val !== "string" || length(val) > AGREEMENT_PARTY_MAX[k]!) return { kind: "item", max: AGREEMENT_PARTY_MAX[k] };
  }
  if (!o["name"]) return { kind: "item" };
  const last4 = o["id_number_last4"];
  return !last4 || LAST4_RE.test(String(last4)) ? null : { kind: "item" };
}

function checkSignature(item: unknown): Problem | null {
  if (!item || typeof item !== "object" || Array.isArray(item)) return { kind: "item" };
  const o = item as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  if (keys.join(",") !== SIGNATURE_KEYS.join(",")) return { kind: "item" };
  if (typeof o["party_name"] !== "string" || !o["party_name"] || length(o["party_name"]) > 200) return { kind: "item" };
  if (typeof o["attachment"] !== "string" || !SHA256_RE.test(o["attachment"])) return { kind: "item" };
  return parseUtc(o["signed_at"]) !== null ? null : { kind: "item" };
}

function checkList(f: FieldSpec, v: unknown): Problem | null {
  if (!Array.isArray(v)) return { kind: "list" };
  if (hasNul(v)) return { kind: "nul" };
  if (v.length > LIST_MAX_ITEMS) return { kind: "too_many", max: LIST_MAX_ITEMS };
  for (const item of v) {
    const p = checkItem(f.items, item);
    if (p) return p;
  }
  const keys = v.map(canonical);
  return new Set(keys).size === keys.length ? null : { kind: "duplicates" };
}

function checkTyped(f: FieldSpec, v: unknown): Problem | null {
  switch (f.type) {
    case "string":
      // a string whose items are "attachment" holds one attachment's sha256 (a ruling's scan)
      if (f.items === "attachment") return typeof v === "string" && SHA256_RE.test(v) ? null : { kind: "item" };
      return checkString(f, v, true);
    case "text":
      return checkString(f, v, false);
    case "integer": {
      if (typeof v !== "number" || !Number.isInteger(v)) return { kind: "not_integer" };
      const min = f.minimum ?? -SAFE_INTEGER;
      const max = f.maximum ?? SAFE_INTEGER;
      return v >= min && v <= max ? null : { kind: "out_of_range", min, max };
    }
    case "boolean":
      return typeof v === "boolean" ? null : { kind: "not_boolean" };
    case "datetime":
      return parseUtc(v) !== null ? null : { kind: "datetime" };
    case "enum":
      return (f.enum ?? []).includes(v as string) ? null : { kind: "enum" };
    case "ref":
      return isUuid(v) ? null : { kind: "ref" };
    case "geo":
      return checkGeo(v);
    case "list":
      return checkList(f, v);
    case "object":
      if (!v || typeof v !== "object" || Array.isArray(v)) return { kind: "json" };
      return hasNul(v) || canonical(v).length > TEXT_MAX ? { kind: "json", max: TEXT_MAX } : null;
    default:
      return hasNul(v) || canonical(v).length > TEXT_MAX ? { kind: "json", max: TEXT_MAX } : null;
  }
}

/** One value against its field (null clears an optional scalar; lists clear with []). */
export function checkValue(f: FieldSpec, v: unknown): Problem | null {
  if (v === null || v === undefined) {
    if (f.required) return { kind: "required" };
    return f.type === "list" ? { kind: "list" } : null;
  }
  return checkTyped(f, v);
}

/** Rules across fields that the server also enforces (times in order, deadlines ahead). */
function crossField(collection: string, merged: Record<string, unknown>, changed: Record<string, unknown>, now: number): Problems {
  const out: Problems = {};
  if (collection === "psych_slots" || collection === "psych_sessions") {
    const s = parseUtc(merged["starts_at"]);
    const e = parseUtc(merged["ends_at"]);
    if (s !== null && e !== null && e <= s) out["ends_at"] = { kind: "ends_before_starts" };
  }
  if (collection === "dispatch_orders") {
    const arrive = parseUtc(merged["arrive_by"]);
    const resolve = parseUtc(merged["resolve_by"]);
    if ("arrive_by" in changed && arrive !== null && arrive <= now) out["arrive_by"] = { kind: "deadline_past" };
    if ("resolve_by" in changed && resolve !== null && resolve <= now) out["resolve_by"] = { kind: "deadline_past" };
    else if (arrive !== null && resolve !== null && resolve < arrive) out["resolve_by"] = { kind: "deadline_order" };
  }
  return out;
}

/**
 * Every problem of a change a device is about to queue, by field: `current` is the record as
 * the device sees it (undefined for a create, when required fields must all be present).
 */
export function fieldProblems(
  collection: string,
  fields: Record<string, unknown>,
  current?: Record<string, unknown>,
  now = Date.now(),
): Problems {
  const coll = schema().collections[collection];
  const out: Problems = {};
  if (!coll) return out;
  for (const name of Object.keys(fields).sort()) {
    const v = fields[name];
    const f = coll.fields[name];
    if (!f) out[name] = { kind: "unknown_field" };
    else if (COMMON_FIELD_NAMES.has(name) || f.policy === "server") out[name] = { kind: "read_only" };
    else {
      const p = checkValue(f, v);
      if (p) out[name] = p;
      else if (f.policy === "immutable" && current && canonical(current[name]) !== canonical(v)) out[name] = { kind: "immutable" };
    }
  }
  if (!current) {
    for (const [name, f] of Object.entries(coll.fields)) {
      if (f.required && (fields[name] === null || fields[name] === undefined) && !out[name]) out[name] = { kind: "required" };
    }
  }
  const merged = { ...(current ?? {}), ...fields };
  for (const [name, p] of Object.entries(crossField(collection, merged, fields, now))) out[name] ??= p;
  return out;
}

/** Thrown by the data layer when a change would be queued with a bad value. */
export class InvalidChange extends Error {
  constructor(readonly problems: Problems) {
    super(`invalid: ${Object.keys(problems).join(", ")}`);
    this.name = "InvalidChange";
  }
}
