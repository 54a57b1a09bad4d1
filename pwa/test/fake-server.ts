/**
 * A fake Doorstep server for the client's tests: push runs the TypeScript port of the engine
 * over a MemoryStore, pull pages through the records it holds. `failAfterApply` simulates the
 * connection dying after the server committed but before the answer reached the phone.
 */
import { push, ServerClock } from "../src/sync/reference/engine";
import { MemoryStore } from "../src/sync/reference/store";
import type { Mutation } from "../src/sync/reference/model";

export const USER_ID = "0000000a-0000-4000-8000-000000000001";
export const DEVICE_ID = "0000000d-0000-4000-8000-000000000001";

export class FakeServer {
  store = new MemoryStore();
  clock = new ServerClock();
  pushes: Mutation[][] = [];
  /** the next push is applied but its answer is lost */
  failAfterApply = false;
  /** the next push never reaches the server */
  failBeforeApply = false;
  nowMs = Date.now();

  constructor() {
    this.store.registerDevice(DEVICE_ID, USER_ID, 0);
  }

  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input), "http://test");
    if (url.pathname === "/api/sync/push") {
      if (this.failBeforeApply) {
        this.failBeforeApply = false;
        throw new TypeError("Failed to fetch");
      }
      const body = JSON.parse(String(init?.body)) as { mutations: Mutation[] };
      this.pushes.push(body.mutations);
      const out = push(this.store, { user_id: USER_ID, device_id: DEVICE_ID }, body.mutations, this.nowMs, null, this.clock);
      if (this.failAfterApply) {
        this.failAfterApply = false;
        throw new TypeError("network connection lost");
      }
      return json({ server_time: new Date(this.nowMs).toISOString(), results: out.results });
    }
    if (url.pathname === "/api/sync/pull") {
      const records = [...this.store.records.values()];
      return json({
        server_time: new Date(this.nowMs).toISOString(), cursor: String(records.length), has_more: false, reset: false,
        changes: records.map((r) => ({ collection: r.collection, record_id: r.id, version: r.version, deleted: r.deleted, fields: { ...r.fields, id: r.id, version: r.version } })),
        evict: [],
      });
    }
    return json({ error: { code: "not_found", message: "no route", details: {} } }, 404);
  };

  /** How many times a mutation id was applied (writes on its record with its clock). */
  recordVersion(collection: string, id: string): number | undefined {
    return this.store.get(collection, id)?.version;
  }
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}
