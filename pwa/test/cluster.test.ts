import { describe, expect, it } from "vitest";
import { gridCluster, worstLevel } from "../src/command/cluster";

describe("worstLevel", () => {
  it("takes the most severe level and ignores missing ones", () => {
    expect(worstLevel(["blue", "red", "yellow"])).toBe("red");
    expect(worstLevel(["blue", null, "orange"])).toBe("orange");
    expect(worstLevel([undefined, "nonsense"])).toBeNull();
    expect(worstLevel([])).toBeNull();
  });
});

describe("gridCluster", () => {
  it("keeps far-apart points single and merges those in one cell", () => {
    const pts = [
      { x: 10, y: 10, level: "blue", item: "a" },
      { x: 30, y: 40, level: "red", item: "b" },
      { x: 200, y: 10, level: "yellow", item: "c" },
    ];
    const clusters = gridCluster(pts, 60);
    expect(clusters).toHaveLength(2);
    expect(clusters[0]).toEqual({ x: 20, y: 25, level: "red", items: ["a", "b"] });
    expect(clusters[1]).toEqual({ x: 200, y: 10, level: "yellow", items: ["c"] });
  });

  it("clusters a dense district into few markers, with every point counted once", () => {
    const pts = Array.from({ length: 1000 }, (_, i) => ({ x: (i * 37) % 500, y: (i * 91) % 300, level: i % 50 === 0 ? "red" : "blue", item: i }));
    const clusters = gridCluster(pts, 100);
    expect(clusters.length).toBeLessThanOrEqual(15); // 5 × 3 cells
    expect(clusters.reduce((n, c) => n + c.items.length, 0)).toBe(1000);
    expect(new Set(clusters.flatMap((c) => c.items)).size).toBe(1000);
    // Each red point's cluster is red.
    for (const c of clusters) if (c.items.some((i) => i % 50 === 0)) expect(c.level).toBe("red");
  });

  it("handles negative pixel positions (points left of or above the view)", () => {
    const clusters = gridCluster([{ x: -5, y: -5, level: null, item: 1 }, { x: 5, y: 5, level: null, item: 2 }], 60);
    expect(clusters).toHaveLength(2);
    expect(clusters[0]!.level).toBeNull();
  });
});
