/**
 * The synced collections' fields, policies, enums and state machines. Read from
 * `GET /api/sync/schema` when online and cached; until then the copy built from sync/schema.py
 * (src/schema/fallback.json, regenerate with `npm run schema` when the server's schema changes).
 */
import fallback from "./fallback.json";

export type Policy = "lww" | "manual" | "set" | "state" | "immutable" | "server";

export interface FieldSpec {
  type: string;
  policy: Policy;
  required: boolean;
  enum?: string[];
  max_length?: number;
  ref?: string;
  items?: string;
  minimum?: number;
  maximum?: number;
}

export interface CollectionSpec {
  fields: Record<string, FieldSpec>;
  states?: Record<string, Record<string, string[]>>;
}

export interface SchemaDoc {
  schema_version: number;
  collections: Record<string, CollectionSpec>;
}

let current: SchemaDoc = fallback as SchemaDoc;

export function schema(): SchemaDoc {
  return current;
}

export function setSchema(doc: SchemaDoc): void {
  if (doc && typeof doc === "object" && doc.collections) current = doc;
}

export function fieldSpec(collection: string, field: string): FieldSpec | undefined {
  return current.collections[collection]?.fields[field];
}

export function policyOf(collection: string, field: string): Policy {
  return fieldSpec(collection, field)?.policy ?? "lww";
}

export function enumOf(collection: string, field: string): string[] {
  return fieldSpec(collection, field)?.enum ?? [];
}

export function transitions(collection: string, field: string): Record<string, string[]> | undefined {
  return current.collections[collection]?.states?.[field];
}

export const SCHEMA_VERSION = (): number => current.schema_version;
