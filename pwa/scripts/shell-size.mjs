// Reports the app shell's size: every JS and CSS file the page loads at start (those index.html
// names: the entry script, its modulepreloaded chunks, its stylesheets), gzip-compressed (the
// issue's budget is 100 KiB), plus sw.js separately. Chunks loaded on demand (the command map
// with Leaflet, the statistics with uPlot) are listed apart: they are precached for offline use
// but no field screen waits for them. Exits non-zero over budget.
import { gzipSync } from "node:zlib";
import { readdirSync, readFileSync } from "node:fs";

const BUDGET = 100 * 1024;
const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const indexHtml = readFileSync("dist/index.html", "utf8");
const loaded = new Set([...indexHtml.matchAll(/(?:src|href)="\/assets\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]));
const assets = readdirSync("dist/assets").filter((f) => /\.(js|css)$/.test(f));
let total = 0;
let lazy = 0;
for (const f of assets.filter((a) => loaded.has(a))) {
  const size = gz(`dist/assets/${f}`);
  total += size;
  console.log(`  ${f.padEnd(36)} ${(size / 1024).toFixed(1)} KiB gzip`);
}
for (const f of assets.filter((a) => !loaded.has(a))) {
  const size = gz(`dist/assets/${f}`);
  lazy += size;
  console.log(`  ${f.padEnd(36)} ${(size / 1024).toFixed(1)} KiB gzip (on demand)`);
}
const html = gz("dist/index.html");
const sw = gz("dist/sw.js");
console.log(`app shell (JS+CSS) ${(total / 1024).toFixed(1)} KiB gzip (budget 100 KiB); on demand ${(lazy / 1024).toFixed(1)} KiB; index.html ${(html / 1024).toFixed(1)} KiB; sw.js ${(sw / 1024).toFixed(1)} KiB`);
if (!loaded.size) {
  console.error("index.html names no assets: cannot measure the shell");
  process.exit(1);
}
if (total > BUDGET) {
  console.error("app shell over budget");
  process.exit(1);
}
