/**
 * Vitest global setup: a real `doorstep run` (SQLite, its own data directory, demo users) for
 * the outbox tests, so the client is tested against the one engine that merges, not a copy.
 * Needs the Python environment (`../.venv`, made by tests/run.sh); fails loudly without it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let proc: ChildProcess | undefined;
let dataDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  const doorstep = process.env["DOORSTEP_BIN"] ?? join(ROOT, ".venv", "bin", "doorstep");
  if (!existsSync(doorstep)) throw new Error(`no doorstep at ${doorstep}: create ../.venv first (bash tests/run.sh does)`);
  const port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), "doorstep-vitest-"));
  const env: NodeJS.ProcessEnv = { ...process.env, DOORSTEP_DATA_DIR: dataDir };
  delete env["DOORSTEP_DATABASE_URL"];
  delete env["DOORSTEP_REDIS_URL"];
  let log = "";
  proc = spawn(doorstep, ["run", "--host", "127.0.0.1", "--port", String(port)], { env, cwd: ROOT });
  proc.stdout?.on("data", (b) => (log += String(b)));
  proc.stderr?.on("data", (b) => (log += String(b)));
  const url = `http://127.0.0.1:${port}`;
  // A generous bound for a busy 2-core machine: a hang fails here, speed is never asserted.
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`doorstep exited:\n${log}`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) {
        project.provide("doorstepUrl", url);
        return;
      }
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`doorstep did not start:\n${log}`);
}

export async function teardown(): Promise<void> {
  if (proc && proc.exitCode === null) {
    proc.kill("SIGTERM");
    await new Promise((r) => proc!.once("exit", r));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    doorstepUrl: string;
  }
}
