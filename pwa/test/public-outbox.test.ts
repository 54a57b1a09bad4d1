/**
 * The residents' outbox against a real `doorstep run`: an appeal written offline stays on the
 * phone until the server has answered for it, and arrives exactly once whether the connection
 * dies before the request arrives or after the server stored it (the answer lost on the way).
 */
import "fake-indexeddb/auto";
import { describe, expect, inject, it } from "vitest";
import { setBaseUrl, setFetch } from "../src/api/client";
import { flush, myAppeals, onSent, pending, queueAppeal } from "../src/public/outbox";

const TITLE = `离线诉求 ${process.pid}`;

describe("residents' outbox", () => {
  it("keeps the appeal offline and delivers it once, even when an answer is lost", async () => {
    const base = inject("doorstepUrl");
    setBaseUrl(base);
    const posts: string[] = [];
    let mode: "offline" | "lose-answer" | "online" = "offline";
    setFetch((async (input: RequestInfo | URL, init?: RequestInit) => {
      if (mode === "offline") throw new TypeError("Failed to fetch");
      if (String(input).endsWith("/api/public/appeals")) posts.push(String(init?.body));
      const res = await fetch(input, init);
      if (mode === "lose-answer") {
        await res.text(); // stored by the server; the answer never reaches the phone
        mode = "online";
        throw new TypeError("network connection lost");
      }
      return res;
    }) as typeof fetch);

    const entry = await queueAppeal(
      { station_code: "GM.GUANGMING.C01.S1", source: "qr", service_type: "complaint", title: TITLE, description: "楼道灯坏了", website: "" },
      [],
    );
    const codes: string[] = [];
    onSent(({ code }) => codes.push(code));

    await flush();
    expect((await pending()).map((p) => p.client_id)).toEqual([entry.client_id]);
    expect(posts).toHaveLength(0);

    mode = "lose-answer";
    await flush();
    expect(posts).toHaveLength(1);
    expect(await pending()).toHaveLength(1); // no answer: still waiting

    await flush(); // online now: the resend gets the first answer
    expect(posts).toHaveLength(2);
    expect(await pending()).toHaveLength(0);
    expect(codes).toHaveLength(1);
    expect((await myAppeals()).map((m) => m.code)).toContain(codes[0]);
    expect(JSON.parse(posts[0]!).client_id).toBe(JSON.parse(posts[1]!).client_id);

    const status = await (await fetch(`${base}/api/public/appeals/${codes[0]}`)).json();
    expect(status.timeline.map((e: { code: string }) => e.code)).toEqual(["received"]);
    const login = await (await fetch(`${base}/api/auth/login`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin.a", password: "doorstep-demo", device_name: "vitest" }),
    })).json();
    const listed = await (await fetch(`${base}/api/triage/appeals`, { headers: { Authorization: `Bearer ${login.access_token}` } })).json();
    expect(listed.filter((a: { title: string }) => a.title === TITLE)).toHaveLength(1);
  });
});
