/**
 * The parts of sync/vectors/ that the app itself runs (format: sync/vectors/README.md):
 * - validation.json: the field checks a form runs before queueing (src/sync/validate.ts) flag the
 *   same field the server rejects, and pass what the server applies;
 * - set.json: the optimistic view's set merge (src/sync/merge.ts) shows what the server stores;
 * - hlc.json: the clocks the app writes are the ones the server accepts.
 * Merging and conflicts are the server's alone (one engine, sync/); cases that test the server's
 * bookkeeping (permissions, envelopes, per-device set deltas, re-clocking) are listed and skipped
 * by name, so a new case is never silently ignored.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { canonical, mergeSet } from "../src/sync/merge";
import { fieldProblems } from "../src/sync/validate";
import { formatHlc, parseHlc } from "../src/sync/hlc";
import { policyOf } from "../src/schema";

type Json = Record<string, any>;
const VECTOR_DIR = fileURLToPath(new URL("../../sync/vectors/", import.meta.url));
const load = (name: string): Json[] => (JSON.parse(readFileSync(VECTOR_DIR + name, "utf8")) as { cases: Json[] }).cases;

/** Server-side rules a form has no say in: the envelope, existence, the directory, permissions. */
const SERVER_ONLY = new Set([
  "validation/unknown-collection", "validation/read-only-directory", "validation/read-only-directory-delete",
  "validation/create-conflict-forbidden", "validation/create-notification-forbidden", "validation/delete-with-fields",
  "validation/bad-op", "validation/record-id-not-uuid", "validation/base-version-ahead", "validation/not-found-edit",
  "validation/not-found-delete",
  // what this device wrote earlier, remembered per device by the server
  "set/own-chain-removal", "set/own-chain-from-stored-delta",
  // the server re-clocks a far-ahead clock; the app corrects its own clock by the server offset
  "hlc/reclocked-write-loses-to-later-write",
]);
const FIELD_CODES = new Set(["validation", "unknown_field", "read_only_field", "immutable_field"]);

function onlyMutation(c: Json): { m: Json; result: Json; current?: Json } {
  const m = c.pushes[0].mutations[0];
  const result = c.pushes[0].expect.results[0];
  const current = (c.records as Json[]).find((r) => r.collection === m.collection && r.id === m.record_id);
  return { m, result, current };
}

describe("validation.json: the app's field checks", () => {
  for (const c of load("validation.json")) {
    it(c.name, () => {
      if (SERVER_ONLY.has(c.name)) return;
      const { m, result, current } = onlyMutation(c);
      const problems = fieldProblems(m.collection, m.fields ?? {}, current?.fields, c.now_ms);
      if (result.status === "rejected") {
        expect(FIELD_CODES.has(result.error), `${c.name} is not a field rule; list it in SERVER_ONLY`).toBe(true);
        expect(Object.keys(problems)).toContain(result.details.field);
      } else {
        expect(problems).toEqual({});
      }
    });
  }
});

describe("set.json: the optimistic view's set merge", () => {
  for (const c of load("set.json")) {
    it(c.name, () => {
      if (SERVER_ONLY.has(c.name)) return;
      const { m, current } = onlyMutation(c);
      const want = (c.expect.records as Json[]).find((r) => r.id === m.record_id)!;
      for (const [name, yours] of Object.entries(m.fields as Json)) {
        expect(policyOf(m.collection, name)).toBe("set");
        // The base is what the device saw at base_version; no snapshot means nothing removed.
        const base = m.base_version === current!.version ? current!.fields[name] : current!.history?.[String(m.base_version)]?.[name] ?? [];
        expect(canonical(mergeSet(base, current!.fields[name], yours))).toBe(canonical(want.fields[name]));
      }
    });
  }
});

describe("hlc.json: clocks the app writes", () => {
  for (const c of load("hlc.json")) {
    it(c.name, () => {
      if (SERVER_ONLY.has(c.name)) return;
      const { m, result } = onlyMutation(c);
      const device = c.pushes[0].device_id as string;
      const parsed = parseHlc(m.hlc);
      const accepted = parsed !== null && parsed.deviceId === device;
      expect(accepted).toBe(result.status !== "rejected");
      if (parsed && accepted) expect(formatHlc(parsed.ms, parsed.counter, parsed.deviceId)).toBe(m.hlc);
    });
  }
});
