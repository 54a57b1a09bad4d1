// Draws the app icons (a white house with a door on the theme colour) as PNGs, with no image
// library: a pixel function, zlib and a hand-written PNG writer. Run `npm run icons`; the PNGs
// are committed under public/.
import { deflateSync } from "node:zlib";
import { mkdirSync, writeFileSync } from "node:fs";

const THEME = [0x0f, 0x76, 0x6e]; // #0f766e
const WHITE = [0xff, 0xff, 0xff];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, pixel) {
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const [r, g, b] = pixel(x / size, y / size);
      const o = y * (size * 3 + 1) + 1 + x * 3;
      raw[o] = r; raw[o + 1] = g; raw[o + 2] = b;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0; // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A house in the unit square scaled by `s` around the centre (s < 1 keeps it in the safe zone). */
function house(s) {
  return (u, v) => {
    const x = (u - 0.5) / s + 0.5;
    const y = (v - 0.5) / s + 0.5;
    const roof = y >= 0.18 && y <= 0.48 && Math.abs(x - 0.5) <= (y - 0.18) * (0.36 / 0.3);
    const body = x >= 0.24 && x <= 0.76 && y >= 0.46 && y <= 0.82;
    const door = x >= 0.43 && x <= 0.57 && y >= 0.6 && y <= 0.82;
    return (roof || body) && !door ? WHITE : THEME;
  };
}

mkdirSync("public", { recursive: true });
writeFileSync("public/icon-192.png", png(192, house(1)));
writeFileSync("public/icon-512.png", png(512, house(1)));
// Maskable icons may be cropped to a circle of 80% diameter: draw the house smaller.
writeFileSync("public/icon-maskable-512.png", png(512, house(0.62)));
writeFileSync("public/icon-maskable-192.png", png(192, house(0.62)));
console.log("icons written to public/");
