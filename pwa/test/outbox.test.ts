/**
 * The outbox against a real `doorstep run` (test/real-server.ts): nothing is lost and nothing is
 * applied twice, whether the connection dies before the request arrives or after the server
 * applied it; rejections stay visible; a bad value is refused before it is queued.
 */
import "fake-indexeddb/auto";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { useDatabaseName } from "../src/storage/db";
import { allPending, listRejected, markSent } from "../src/storage/outbox";
import { setBaseUrl, setFetch } from "../src/api/client";
import { login } from "../src/api/auth";
import { NetworkError } from "../src/api/errors";
import { pullAll, pushOutbox } from "../src/sync/engine";
import { applyPending, createRecord, saveChanges, viewRecord } from "../src/sync/view";
import { InvalidChange } from "../src/sync/validate";
import { getRecord, listRecords } from "../src/storage/records";
import { forgetTabletUser } from "../src/storage/tablet";
import type { User } from "../src/types";

const PASSWORD = "doorstep-demo";

/** Real fetch, with the two ways a connection dies and a log of what was pushed. */
class Wire {
  pushes: { id: string; seq: number }[][] = [];
  failAfterApply = false;
  failBeforeApply = false;
  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const isPush = String(input).includes("/api/sync/push");
    if (isPush && this.failBeforeApply) {
      this.failBeforeApply = false;
      throw new TypeError("Failed to fetch");
    }
    if (isPush) this.pushes.push((JSON.parse(String(init?.body)) as { mutations: { id: string; seq: number }[] }).mutations);
    const res = await fetch(input, init);
    if (isPush && this.failAfterApply) {
      this.failAfterApply = false;
      await res.text(); // the server finished; the answer is lost on the way back
      throw new TypeError("network connection lost");
    }
    return res;
  };
}

let wire: Wire;
let user: User;
let community: string;
let dbCounter = 0;

beforeEach(async () => {
  useDatabaseName(`doorstep-test-${process.pid}-${++dbCounter}`);
  setBaseUrl(inject("doorstepUrl"));
  // Each case starts with nobody on this "phone": the person's database goes with them.
  if (user) await forgetTabletUser(user.id);
  wire = new Wire();
  setFetch(wire.fetch as typeof fetch);
  user = await login("gw.a1", PASSWORD);
  await pullAll();
  // A grid worker's grid sits in a community: disputes belong to the community.
  const units = await listRecords("org_units");
  const mine = units.find((u) => u.id === user.org_unit_id)!;
  community = mine.fields["kind"] === "community" ? mine.id : String(mine.fields["parent_id"]);
});

async function newDispute(title = "噪音扰民"): Promise<string> {
  return createRecord("disputes", { community_id: community, title, risk_level: "blue", status: "registered", tags: ["noise"] });
}

/** What the server holds now, as the device learns it from a pull. */
async function serverVersion(id: string): Promise<number | undefined> {
  await pullAll();
  return (await getRecord("disputes", id))?.version;
}

describe("outbox against the real server", () => {
  it("allocates seqs in order and folds edits into an unsent create", async () => {
    const id = await newDispute();
    await saveChanges("disputes", id, { title: "楼上噪音" });
    const pending = await allPending();
    expect(pending).toHaveLength(1);
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
    wire.failAfterApply = true;
    await expect(pushOutbox()).rejects.toBeInstanceOf(NetworkError);
    const left = await allPending();
    expect(left.map((p) => p.seq)).toEqual([1, 2]);
    expect(left.every((p) => p.sent_at !== undefined)).toBe(true);

    // "Restart": the same entries go again with the same ids and seqs; the server answers from
    // what it stored and applies nothing twice.
    await pushOutbox();
    expect(wire.pushes).toHaveLength(2);
    expect(wire.pushes[1]!.map((m) => m.id)).toEqual(wire.pushes[0]!.map((m) => m.id));
    expect(await allPending()).toEqual([]);
    expect(await serverVersion(a)).toBe(1);
    expect(await serverVersion(b)).toBe(1);
  });

  it("survives a crash before the request left: resent and applied exactly once", async () => {
    const a = await newDispute();
    wire.failBeforeApply = true;
    await expect(pushOutbox()).rejects.toBeInstanceOf(NetworkError);
    expect(await allPending()).toHaveLength(1);
    await pushOutbox();
    expect(await allPending()).toEqual([]);
    expect(await serverVersion(a)).toBe(1);
  });

  it("refuses a bad value before it is queued, field by field", async () => {
    await expect(createRecord("disputes", { community_id: community, risk_level: "purple" })).rejects.toSatisfy(
      (e: unknown) => e instanceof InvalidChange && "title" in e.problems && "risk_level" in e.problems,
    );
    const id = await newDispute();
    await expect(saveChanges("disputes", id, { title: "x".repeat(201) })).rejects.toBeInstanceOf(InvalidChange);
    expect((await allPending()).map((p) => p.fields["title"])).toEqual(["噪音扰民"]);
  });

  it("keeps a mutation the server rejects visible with its reason, and goes on with the rest", async () => {
    const bad = await newDispute("甲");
    await pushOutbox();
    await pullAll();
    // registered → closed is not a move the state machine allows: only the server knows that.
    await saveChanges("disputes", bad, { status: "closed" });
    const good = await newDispute("乙");
    await pushOutbox();
    const rejected = await listRejected();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.record_id).toBe(bad);
    expect(rejected[0]!.error.code).toBe("invalid_transition");
    expect(await allPending()).toEqual([]);
    expect(await serverVersion(good)).toBe(1);
  });

  it("leaves entries in the outbox on seq_gap", async () => {
    await newDispute();
    // The server has answered nothing from this device; an entry claiming seq 5 is a gap.
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
    expect((await getRecord("disputes", id))?.version).toBe(1);
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
    const before = (await allPending()).map((p) => p.hlc.slice(19));
    await login("gw.a1", PASSWORD); // a new device for the same person
    const pending = await allPending();
    expect(pending.map((p) => p.seq)).toEqual([1, 2]);
    expect(pending.every((p) => !before.includes(p.hlc.slice(19)))).toBe(true);
    expect(pending.every((p) => p.sent_at === undefined)).toBe(true);
    await pushOutbox();
    expect(await allPending()).toEqual([]);
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
