import { describe, expect, it } from "vitest";
import { backoffMs, parseSse } from "../src/command/sse";

describe("parseSse", () => {
  it("splits events, joins data lines, skips keep-alive comments and keeps the tail", () => {
    const { messages, rest } = parseSse(': ping\n\nevent: warning\nid: 7\ndata: {"a":\ndata: 1}\n\ndata: x\r\n\r\ndata: incompl');
    expect(messages).toEqual([
      { event: "warning", data: '{"a":\n1}', id: "7", retry: undefined },
      { event: "message", data: "x", id: undefined, retry: undefined },
    ]);
    expect(rest).toBe("data: incompl");
  });
  it("reads retry and fields without a space after the colon", () => {
    expect(parseSse("retry:5000\ndata:y\n\n").messages).toEqual([{ event: "message", data: "y", id: undefined, retry: 5000 }]);
  });
});

describe("backoffMs", () => {
  it("doubles from 1 s to a 30 s ceiling with at most a quarter of jitter", () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoffMs(a, () => 1))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffMs(0, () => 0)).toBe(750);
    expect(backoffMs(6, () => 0)).toBe(22500);
  });
});
