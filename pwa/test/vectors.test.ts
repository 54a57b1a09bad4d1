/**
 * Every case of every file in ../sync/vectors/ (format: sync/vectors/README.md), run against
 * the TypeScript port of the engine that shares its merge rules with the optimistic view.
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sameValue } from "../src/sync/merge";
import { push, ServerClock, type Gate } from "../src/sync/reference/engine";
import { MemoryStore } from "../src/sync/reference/store";
import { recordFromJson, type Mutation, type ResultJson } from "../src/sync/reference/model";

const VECTOR_DIR = fileURLToPath(new URL("../../sync/vectors/", import.meta.url));
type Json = Record<string, any>;

function ruleGate(deny: Json[]): Gate {
  return (actor, collection, current, proposed, op) => {
    for (const rule of deny) {
      if ("collection" in rule && rule.collection !== collection) continue;
      if ("op" in rule && rule.op !== op) continue;
      if ("user_id" in rule && rule.user_id !== actor.user_id) continue;
      if ("record_id" in rule && rule.record_id !== (current?.id ?? null)) continue;
      if ("field" in rule && !(rule.field in proposed)) continue;
      return { code: "forbidden", message: "not allowed by the gate", details: "field" in rule ? { field: rule.field } : {} };
    }
    return null;
  };
}

function buildStore(c: Json): MemoryStore {
  const store = new MemoryStore();
  for (const data of c.records ?? []) {
    const record = recordFromJson(data);
    store.load(record, data.history ?? {});
    for (const [device, deltas] of Object.entries(data.set_deltas ?? {})) {
      for (const [version, field, added, removed] of deltas as [number, string, unknown[], unknown[]][]) {
        store.saveSetDelta(record.collection, record.id, device, { version, field, added, removed });
      }
    }
  }
  for (const d of c.devices ?? []) {
    store.registerDevice(d.device_id, d.user_id, d.last_seq ?? 0);
    for (const a of d.answers ?? []) store.saveAnswer(d.device_id, a as ResultJson);
  }
  return store;
}

function checkResult(where: string, want: Json, got: ResultJson, stored: ResultJson | null): string[] {
  const out: string[] = [];
  for (const key of ["seq", "status", "record_version", "clock_adjusted", "conflict_ids"] as const) {
    if (key in want && !sameValue(want[key], got[key])) out.push(`${where}: ${key} ${JSON.stringify(got[key])} != expected ${JSON.stringify(want[key])}`);
  }
  if ("error" in want && (got.error?.code ?? null) !== want.error) out.push(`${where}: error ${got.error?.code ?? null} != expected ${want.error}`);
  if ("conflicts" in want && got.conflict_ids.length !== want.conflicts) out.push(`${where}: ${got.conflict_ids.length} conflicts != ${want.conflicts}`);
  for (const [k, v] of Object.entries(want.details ?? {})) {
    const details = got.error?.details ?? {};
    if (!(k in details) || !sameValue(details[k], v)) out.push(`${where}: details.${k} ${JSON.stringify(details[k])} != ${JSON.stringify(v)}`);
  }
  if (want.same_as_stored && (!stored || JSON.stringify(stored) !== JSON.stringify(got))) out.push(`${where}: answer differs from the stored one`);
  return out;
}

function runCase(c: Json): string[] {
  const store = buildStore(c);
  const failures: string[] = [];
  const clock = new ServerClock(c.server_clock ?? null);
  const gate = c.gate ? ruleGate(c.gate.deny ?? []) : null;
  const users = Object.fromEntries((c.devices ?? []).map((d: Json) => [d.device_id, d.user_id]));
  (c.pushes ?? []).forEach((batch: Json, index: number) => {
    const device = batch.device_id;
    const mutations = batch.mutations.map((m: Json) => ({ fields: {}, ...m }) as Mutation);
    const stored = new Map<number, ResultJson | null>(mutations.map((m: Mutation) => [m.seq, store.getAnswer(device, m.seq)]));
    const outcome = push(store, { user_id: users[device], device_id: device }, mutations, batch.now_ms ?? c.now_ms, gate, clock);
    const expectPush = batch.expect ?? {};
    const where = `push ${index}`;
    if (expectPush.results) {
      if (expectPush.results.length !== outcome.results.length) {
        failures.push(`${where}: ${outcome.results.length} results != expected ${expectPush.results.length}: ${JSON.stringify(outcome.results)}`);
      }
      expectPush.results.forEach((want: Json, i: number) => {
        const got = outcome.results[i];
        if (got) failures.push(...checkResult(`${where} result ${i}`, want, got, stored.get(got.seq) ?? null));
      });
    }
    if ("stopped_at_gap" in expectPush && expectPush.stopped_at_gap !== outcome.stopped_at_gap) failures.push(`${where}: stopped_at_gap ${outcome.stopped_at_gap}`);
  });
  const expectAll = c.expect ?? {};
  for (const want of expectAll.records ?? []) {
    const where = `record ${want.collection}/${want.id}`;
    const rec = store.get(want.collection, want.id);
    if (!rec) {
      failures.push(`${where}: missing`);
      continue;
    }
    for (const k of ["version", "deleted"] as const) if (k in want && rec[k] !== want[k]) failures.push(`${where}: ${k} ${rec[k]} != ${want[k]}`);
    for (const k of ["fields", "field_versions", "field_clocks"] as const) {
      const have = rec[k] as Json;
      for (const [name, value] of Object.entries(want[k] ?? {})) {
        if (!(name in have) || !sameValue(have[name], value)) failures.push(`${where}: ${k}.${name} ${JSON.stringify(have[name])} != ${JSON.stringify(value)}`);
      }
    }
    for (const name of want.absent ?? []) if (name in rec.fields) failures.push(`${where}: ${name} should be absent`);
  }
  for (const want of expectAll.missing ?? []) if (store.get(want.collection, want.id)) failures.push(`${want.collection}/${want.id} should not exist`);
  if ("conflicts" in expectAll) {
    const actual = store.conflicts();
    if (actual.length !== expectAll.conflicts.length) {
      failures.push(`${actual.length} conflicts != ${expectAll.conflicts.length}: ${JSON.stringify(actual.map((a) => a.fields))}`);
    } else {
      const free = [...actual];
      for (const want of expectAll.conflicts) {
        const idx = free.findIndex((rec) => Object.entries(want).every(([k, v]) => sameValue(k === "id" || k === "version" ? (rec as Json)[k] : rec.fields[k], v)));
        if (idx < 0) failures.push(`no conflict matches ${JSON.stringify(want)}; have ${JSON.stringify(free.map((f: Json) => ({ id: f.id, ...f.fields })))}`);
        else free.splice(idx, 1);
      }
    }
  }
  for (const [device, seq] of Object.entries(expectAll.last_seq ?? {})) {
    if (store.lastSeq(device) !== seq) failures.push(`last_seq of ${device}: ${store.lastSeq(device)} != ${seq}`);
  }
  return failures;
}

const files = readdirSync(VECTOR_DIR).filter((f) => f.endsWith(".json")).sort();

describe("sync/vectors", () => {
  it("has vector files to run", () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    const suite = JSON.parse(readFileSync(join(VECTOR_DIR, file), "utf8")) as { cases: Json[] };
    describe(file, () => {
      for (const c of suite.cases) {
        it(c.name, () => {
          expect(runCase(c)).toEqual([]);
        });
      }
    });
  }
});
