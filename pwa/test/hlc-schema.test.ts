import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compareHlc, formatHlc, parseHlc, receive, tick } from "../src/sync/hlc";
import fallback from "../src/schema/fallback.json";

const DEVICE = "0000000d-0000-4000-8000-000000000001";

describe("hlc", () => {
  it("formats as the protocol says and sorts as strings", () => {
    expect(formatHlc(1764000000000, 1, DEVICE)).toBe(`1764000000000-0001-${DEVICE}`);
    expect(parseHlc(`1764000000000-00ff-${DEVICE}`)).toEqual({ ms: 1764000000000, counter: 255, deviceId: DEVICE });
    expect(compareHlc(formatHlc(5, 2, "a"), formatHlc(5, 10, "a"))).toBe(-1);
  });
  it("never goes backwards when the physical clock does", () => {
    const a = tick(undefined, 1000);
    const b = tick(a, 900);
    expect(b).toEqual({ ms: 1000, counter: 1 });
    expect(tick(b, 1001)).toEqual({ ms: 1001, counter: 0 });
  });
  it("moves past a clock seen from elsewhere", () => {
    expect(receive({ ms: 1000, counter: 3 }, formatHlc(2000, 7, "x"), 1500)).toEqual({ ms: 2000, counter: 8 });
  });
});

describe("schema fallback", () => {
  it("matches sync/schema.py (run `npm run schema` after schema changes)", () => {
    let live: string;
    try {
      // The collections are registered by the server's domains (server/domains.py), so the
      // schema is read through them, with the repository's .venv when there is one.
      const root = fileURLToPath(new URL("../../", import.meta.url));
      const venv = `${root}.venv/bin/python`;
      live = execFileSync(existsSync(venv) ? venv : "python3", ["-c", "import json, server.domains, sync.schema as s; print(json.dumps(s.schema_document()))"], {
        cwd: root, encoding: "utf8",
      });
    } catch {
      return; // no python here: nothing to compare with
    }
    expect(fallback).toEqual(JSON.parse(live));
  });
});
