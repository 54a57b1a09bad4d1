/**
 * The outbox against a fake server: nothing is lost and nothing is applied twice, whether the
 * connection dies before the request arrives or after the server applied it.
 */
import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import { useDatabaseName } from "../src/storage/db";
import { setMeta } from "../src/storage/meta";
import { allPending, listRejected, markSent, rebaseOutbox } from "../src/storage/outbox";
import { setFetch } from "../src/api/client";
import { NetworkError } from "../src/api/errors";
import { pullAll, pushOutbox } from "../src/sync/engine";
import { applyPending, createRecord, saveChanges, viewRecord } from "../src/sync/view";
import { getRecord } from "../src/storage/records";
import { DEVICE_ID, FakeServer, USER_ID } from "./fake-server";

const COMMUNITY = "00000000-0000-4000-8000-0000000000c1";
let server: FakeServer;
let dbCounter = 0;

beforeEach(async () => {
  useDatabaseName(`doorstep-test-${++dbCounter}`);
  server = new FakeServer();
  setFetch(server.fetch as typeof fetch);
  await setMeta("auth", {
    access_token: "a", refresh_token: "r", expires_at: Date.now() + 3600_000, device_id: DEVICE_ID,
    user: { id: USER_ID, username: "gw.a1", display_name: "A1", role: "grid_worker", org_unit_id: COMMUNITY },
  });
});

async function newDispute(title = "噪音扰民"): Promise<string> {
  return createRecord("disputes", { community_id: COMMUNITY, title, risk_level: "blue", status: "registered", tags: ["noise"] });
}

describe("outbox", () => {
  it("allocates seqs in order and folds edits into an unsent create", async () => {
    const id = await newDispute();
    await saveChanges("disputes", id, { title: "楼上噪音" });
    const pending = await allPending();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.seq).toBe(1);
    expect(pending[0]!.fields["title"]).toBe("楼上噪音");
    const other = await newDispute("停车纠纷");
    expect((await allPending()).map((p) => [p.seq, p.record_id])).toEqual([[1, id], [2, other]]);
  });

  it("never rewrites an entry that may already be on the server", async () => {
    const id = await newDispute();
    await markSent([1], Date.now());
    await saveChanges("disputes", id, { title: "新标题" });
    const pending = await allPending();
    expect(pending.map((p) => p.seq)).toEqual([1, 2]);
    expect(pending[0]!.fields["title"]).toBe("噪音扰民");
  });

  it("survives a crash after the server applied the batch: resent, answered once, applied once", async () => {
    const a = await newDispute("甲");
    const b = await newDispute("乙");
    server.failAfterApply = true;
    await expect(pushOutbox()).rejects.toBeInstanceOf(NetworkError);
    // The server has both; the phone does not know: both stay in the outbox, marked sent.
    expect(server.recordVersion("disputes", a)).toBe(1);
    const left = await allPending();
    expect(left.map((p) => p.seq)).toEqual([1, 2]);
    expect(left.every((p) => p.sent_at !== undefined)).toBe(true);

    // "Restart": the same entries go again with the same ids and seqs.
    await pushOutbox();
    expect(server.pushes).toHaveLength(2);
    expect(server.pushes[1]!.map((m) => m.id)).toEqual(server.pushes[0]!.map((m) => m.id));
    expect(await allPending()).toEqual([]);
    expect(server.recordVersion("disputes", a)).toBe(1); // not applied twice
    expect(server.recordVersion("disputes", b)).toBe(1);
  });

  it("survives a crash before the request left: resent and applied exactly once", async () => {
    const a = await newDispute();
    server.failBeforeApply = true;
    await expect(pushOutbox()).rejects.toBeInstanceOf(NetworkError);
    expect(server.recordVersion("disputes", a)).toBeUndefined();
    expect(await allPending()).toHaveLength(1);
    await pushOutbox();
    expect(server.recordVersion("disputes", a)).toBe(1);
    expect(await allPending()).toEqual([]);
  });

  it("keeps a rejected mutation visible with its reason, and goes on with the rest", async () => {
    const bad = await createRecord("disputes", { community_id: COMMUNITY, risk_level: "blue" }); // no title
    const good = await newDispute();
    await pushOutbox();
    const rejected = await listRejected();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.record_id).toBe(bad);
    expect(rejected[0]!.error.code).toBe("validation");
    expect(await allPending()).toEqual([]);
    expect(server.recordVersion("disputes", good)).toBe(1);
  });

  it("leaves entries in the outbox on seq_gap", async () => {
    await newDispute();
    // The server believes nothing was answered, our entry claims seq 5: simulate by renumbering.
    const { db } = await import("../src/storage/db");
    const d = await db();
    const e = (await d.getAll("outbox"))[0]!;
    await d.delete("outbox", e.seq);
    await d.put("outbox", { ...e, seq: 5 });
    await expect(pushOutbox()).rejects.toMatchObject({ code: "seq_gap" });
    expect((await allPending()).map((p) => p.seq)).toEqual([5]);
  });

  it("pulls what it pushed; the optimistic view shows pending edits on top", async () => {
    const id = await newDispute();
    await pushOutbox();
    await pullAll();
    const stored = await getRecord("disputes", id);
    expect(stored?.version).toBe(1);
    await saveChanges("disputes", id, { tags: ["noise", "night"], risk_level: "orange" });
    const view = await viewRecord("disputes", id);
    expect(view?.pending).toBe(true);
    expect(view?.fields["tags"]).toEqual(["noise", "night"]);
    expect(view?.fields["risk_level"]).toBe("orange");
    await pushOutbox();
    await pullAll();
    expect((await getRecord("disputes", id))?.fields["risk_level"]).toBe("orange");
    expect((await viewRecord("disputes", id))?.pending).toBe(false);
  });

  it("carries unsent work over to a new device after logging in again", async () => {
    await newDispute("甲");
    await newDispute("乙");
    await markSent([1], Date.now());
    await rebaseOutbox("0000000d-0000-4000-8000-0000000000ff");
    const pending = await allPending();
    expect(pending.map((p) => p.seq)).toEqual([1, 2]);
    expect(pending.every((p) => p.hlc.endsWith("-0000000d-0000-4000-8000-0000000000ff"))).toBe(true);
    expect(pending.every((p) => p.sent_at === undefined)).toBe(true);
    expect(pending.map((p) => p.fields["title"])).toEqual(["甲", "乙"]);
  });

  it("merges a pending set edit with what the server has now", () => {
    const server = { collection: "disputes", id: "x", version: 2, fields: { tags: ["a", "b", "c"] } };
    const pending = [{
      seq: 1, id: "m", collection: "disputes", record_id: "x", op: "upsert" as const, base_version: 1, hlc: "",
      fields: { tags: ["a", "d"] }, base_fields: { tags: ["a", "b"] }, created_at: 0, attempts: 0,
    }];
    // (theirs ∪ (yours − base)) − (base − yours) = ({a,b,c} ∪ {d}) − {b}
    expect(applyPending("disputes", "x", server, pending)?.fields["tags"]).toEqual(["a", "c", "d"]);
  });
});
