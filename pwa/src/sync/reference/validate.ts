/** Field checks, ported from sync/validate.py (same order of checks, same error codes). */
import { canonical, reject } from "../merge";
import { schema, type CollectionSpec, type FieldSpec } from "../../schema";
import { parseRfc3339 } from "./times";
import type { Mutation, SyncRecord } from "./model";

export const SERVER_CREATED = new Set(["conflicts", "notifications"]);
/** org_units and users are a read-only directory (schema.py's device_writable=False). */
export const READ_ONLY = new Set(["org_units", "users"]);
export const COMMON_FIELD_NAMES = new Set(["id", "version", "created_at", "updated_at", "created_by"]);
const SAFE_INTEGER = 2 ** 53 - 1;
const TEXT_MAX = 10_000;
const LIST_MAX_ITEMS = 200;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHA256_RE = /^[0-9a-f]{64}$/;
const PARTY_MAX: Record<string, number> = { name: 200, phone: 32, role: 64 };

export interface NamedCollection extends CollectionSpec {
  name: string;
}

export function isUuid(v: unknown): boolean {
  return typeof v === "string" && UUID_RE.test(v);
}

/** Python counts code points, not UTF-16 units. */
function length(s: string): number {
  return [...s].length;
}

export function collectionFor(name: string, writing = true): NamedCollection {
  const coll = schema().collections[name];
  if (!coll) throw reject("unknown_collection", `unknown collection '${name}'`, { collection: name });
  if (writing && READ_ONLY.has(name)) throw reject("forbidden", `${name} is read-only`, { collection: name });
  return { ...coll, name };
}

function isNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

function checkString(f: FieldSpec, v: unknown, oneLine: boolean): string | null {
  if (typeof v !== "string") return "must be a string";
  if (f.max_length !== undefined && length(v) > f.max_length) return `is longer than ${f.max_length} characters`;
  if (oneLine && (v.includes("\n") || v.includes("\r"))) return "must be a single line";
  return null;
}

function checkGeo(v: unknown): string | null {
  if (!v || typeof v !== "object" || Array.isArray(v)) return "must be an object {lat, lng, accuracy_m}";
  const o = v as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !["lat", "lng", "accuracy_m"].includes(k));
  if (extra.length) return `has unknown keys ${JSON.stringify(extra.sort())}`;
  if (!isNumber(o["lat"]) || o["lat"] < -90 || o["lat"] > 90) return "lat must be a number between -90 and 90";
  if (!isNumber(o["lng"]) || o["lng"] < -180 || o["lng"] > 180) return "lng must be a number between -180 and 180";
  const acc = o["accuracy_m"];
  if (acc !== undefined && acc !== null && (!isNumber(acc) || acc < 0)) return "accuracy_m must be a non-negative number";
  return null;
}

function checkItem(kind: string | undefined, item: unknown): string | null {
  if (kind === "attachment") {
    if (typeof item !== "string" || !SHA256_RE.test(item)) return "items must be sha256 hashes (64 lowercase hex digits)";
  } else if (kind === "party") {
    if (!item || typeof item !== "object" || Array.isArray(item) || !Object.keys(item).every((k) => k in PARTY_MAX)) {
      return "items must be objects with name, phone and role";
    }
    for (const [k, val] of Object.entries(item as Record<string, unknown>)) {
      if (typeof val !== "string" || length(val) > PARTY_MAX[k]!) return `${k} must be a string of at most ${PARTY_MAX[k]} characters`;
    }
    if (!(item as Record<string, unknown>)["name"]) return "every party needs a name";
  } else if (typeof item !== "string" || !item || length(item) > 200) {
    return "items must be non-empty strings of at most 200 characters";
  }
  return null;
}

function checkList(f: FieldSpec, v: unknown): string | null {
  if (!Array.isArray(v)) return "must be a list";
  if (v.length > LIST_MAX_ITEMS) return `has more than ${LIST_MAX_ITEMS} items`;
  for (const item of v) {
    const p = checkItem(f.items, item);
    if (p) return p;
  }
  const keys = v.map(canonical);
  if (new Set(keys).size !== keys.length) return "has duplicate items";
  return null;
}

function checkTyped(f: FieldSpec, v: unknown): string | null {
  switch (f.type) {
    case "string":
      return checkString(f, v, true);
    case "text":
      return checkString(f, v, false);
    case "integer": {
      if (typeof v !== "number" || !Number.isInteger(v)) return "must be an integer";
      const low = f.minimum ?? -SAFE_INTEGER;
      const high = f.maximum ?? SAFE_INTEGER;
      return v >= low && v <= high ? null : `must be between ${low} and ${high}`;
    }
    case "boolean":
      return typeof v === "boolean" ? null : "must be true or false";
    case "datetime":
      return parseRfc3339(v) !== null ? null : "must be an RFC 3339 UTC timestamp (…Z)";
    case "enum":
      return (f.enum ?? []).includes(v as string) ? null : `must be one of ${JSON.stringify(f.enum ?? [])}`;
    case "ref":
      return isUuid(v) ? null : "must be a lowercase UUID";
    case "geo":
      return checkGeo(v);
    case "list":
      return checkList(f, v);
    case "object":
      if (!v || typeof v !== "object" || Array.isArray(v)) return "must be an object";
      return canonical(v).length > TEXT_MAX ? `must be a JSON object of at most ${TEXT_MAX} characters` : null;
    case "any":
      return canonical(v).length > TEXT_MAX ? `must be a JSON value of at most ${TEXT_MAX} characters` : null;
    default:
      return `has an unsupported type ${f.type}`;
  }
}

export function checkValue(f: FieldSpec, v: unknown): string | null {
  if (v === null || v === undefined) {
    if (f.required) return "is required";
    if (f.type === "list") return "must be a list (use [] to clear it)";
    return null;
  }
  return checkTyped(f, v);
}

export function validateValue(collection: string, name: string, v: unknown): void {
  const f = schema().collections[collection]!.fields[name]!;
  const problem = checkValue(f, v);
  if (problem !== null) throw reject("validation", `${collection}.${name} ${problem}`, { field: name, problem, type: f.type });
}

export function validateFields(coll: NamedCollection, fields: Record<string, unknown>, current: SyncRecord | null, device = true): void {
  for (const name of Object.keys(fields).sort()) {
    const v = fields[name];
    const f = coll.fields[name];
    if (!f) throw reject("unknown_field", `${coll.name} has no field '${name}'`, { field: name });
    if (device && (COMMON_FIELD_NAMES.has(name) || f.policy === "server")) {
      throw reject("read_only_field", `${coll.name}.${name} is written by the server only`, { field: name });
    }
    if (!device && COMMON_FIELD_NAMES.has(name)) throw reject("read_only_field", `${name} is managed by the engine`, { field: name });
    validateValue(coll.name, name, v);
    if (device && f.policy === "immutable" && current !== null && canonical(current.fields[name]) !== canonical(v)) {
      throw reject("immutable_field", `${coll.name}.${name} is set at creation and cannot change`, { field: name });
    }
  }
}

export function validateRequired(coll: NamedCollection, fields: Record<string, unknown>): void {
  for (const [name, f] of Object.entries(coll.fields)) {
    if (f.required && (fields[name] === null || fields[name] === undefined)) {
      throw reject("validation", `${coll.name}.${name} is required`, { field: name, problem: "is required", type: f.type });
    }
  }
}

export function validateEnvelope(m: Mutation): void {
  if (!isUuid(m.id)) throw reject("validation", "mutation id must be a lowercase UUID", { field: "id" });
  if (!isUuid(m.record_id)) throw reject("validation", "record_id must be a lowercase UUID", { field: "record_id" });
  if (m.op !== "upsert" && m.op !== "delete") throw reject("validation", "op must be upsert or delete", { field: "op" });
  if (m.op === "delete" && Object.keys(m.fields).length) throw reject("validation", "a delete carries no fields", { field: "fields" });
}
