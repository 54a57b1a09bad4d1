// Reports the app shell's size: every JS and CSS file the page loads, gzip-compressed (the
// issue's budget is 100 KiB), plus sw.js separately. Exits non-zero over budget.
import { gzipSync } from "node:zlib";
import { readdirSync, readFileSync } from "node:fs";

const BUDGET = 100 * 1024;
const assets = readdirSync("dist/assets").filter((f) => /\.(js|css)$/.test(f));
let total = 0;
for (const f of assets) {
  const size = gzipSync(readFileSync(`dist/assets/${f}`), { level: 9 }).length;
  total += size;
  console.log(`  ${f.padEnd(36)} ${(size / 1024).toFixed(1)} KiB gzip`);
}
const html = gzipSync(readFileSync("dist/index.html"), { level: 9 }).length;
const sw = gzipSync(readFileSync("dist/sw.js"), { level: 9 }).length;
console.log(`app shell (JS+CSS) ${(total / 1024).toFixed(1)} KiB gzip (budget 100 KiB); index.html ${(html / 1024).toFixed(1)} KiB; sw.js ${(sw / 1024).toFixed(1)} KiB`);
if (total > BUDGET) {
  console.error("app shell over budget");
  process.exit(1);
}
