import { defineConfig, type Plugin } from "vite";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const dist = new URL("./dist/", import.meta.url).pathname;

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/**
 * Writes the precache list (every built file except sw.js itself) and a version derived from
 * their contents into sw.js, so a new build is a new service worker and old caches are dropped.
 */
function precacheManifest(): Plugin {
  return {
    name: "doorstep-precache-manifest",
    apply: "build",
    closeBundle() {
      const swPath = join(dist, "sw.js");
      const files = listFiles(dist)
        .map((p) => relative(dist, p).split("\\").join("/"))
        .filter((p) => p !== "sw.js" && !p.endsWith(".map"))
        .sort();
      const hash = createHash("sha256");
      for (const f of files) hash.update(f).update(readFileSync(join(dist, f)));
      const version = hash.digest("hex").slice(0, 12);
      const urls = files.map((f) => (f === "index.html" ? "/" : "/" + f));
      const code = readFileSync(swPath, "utf8")
        .replace(/[`"']__PRECACHE_URLS__[`"']/, JSON.stringify(urls))
        .replace("__BUILD_VERSION__", version);
      writeFileSync(swPath, code);
    },
  };
}

// The service worker is one self-contained classic script at the site root (scope "/").
export default defineConfig({
  publicDir: false,
  build: {
    outDir: "dist",
    emptyOutDir: false,
    target: "es2022",
    sourcemap: false,
    lib: {
      entry: "src/sw.ts",
      formats: ["iife"],
      name: "doorstepSw",
      fileName: () => "sw.js",
    },
  },
  plugins: [precacheManifest()],
});
