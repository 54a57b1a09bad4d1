import { describe, expect, it } from "vitest";
import { outOfChina, shiftFor, wgs84ToGcj02 } from "../src/command/gcj02";

// The published vectors of eviltransform (googollee/eviltransform, every language's test):
// WGS-84 in, GCJ-02 out.
const VECTORS: [number, number, number, number][] = [
  [31.1774276, 121.5272106, 31.17530398364597, 121.531541859215], // Shanghai
  [22.543847, 113.912316, 22.540796131694766, 113.9171764808363], // Shenzhen (near Guangming)
  [39.911954, 116.377817, 39.91334545536069, 116.38404722455657], // Beijing
];

describe("wgs84ToGcj02", () => {
  it.each(VECTORS)("shifts %f,%f to the published GCJ-02 position", (lat, lng, gLat, gLng) => {
    const [a, b] = wgs84ToGcj02(lat, lng);
    expect(Math.abs(a - gLat)).toBeLessThan(1e-9);
    expect(Math.abs(b - gLng)).toBeLessThan(1e-9);
  });

  it("moves a Guangming point by a few hundred metres, not more", () => {
    const [lat, lng] = wgs84ToGcj02(22.7486, 113.9359);
    const dy = (lat - 22.7486) * 111_000;
    const dx = (lng - 113.9359) * 111_000 * Math.cos((22.7486 * Math.PI) / 180);
    const metres = Math.hypot(dx, dy);
    expect(metres).toBeGreaterThan(200);
    expect(metres).toBeLessThan(800);
  });

  it("leaves points outside China as they are", () => {
    expect(outOfChina(51.5, -0.12)).toBe(true);
    expect(wgs84ToGcj02(51.5, -0.12)).toEqual([51.5, -0.12]);
  });

  it("is applied only when the server's map crs says gcj02", () => {
    expect(shiftFor("wgs84")(22.5, 113.9)).toEqual([22.5, 113.9]);
    expect(shiftFor(undefined)(22.5, 113.9)).toEqual([22.5, 113.9]);
    expect(shiftFor("gcj02")(22.543847, 113.912316)[1]).toBeCloseTo(113.9171764808363, 9);
  });
});
