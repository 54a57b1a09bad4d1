/**
 * Grid clustering for the map (no plugin: leaflet.markercluster would be another dependency and
 * ~10 KiB more for what a screen-space grid does here). Points are bucketed by the pixel cell
 * they fall in at the current zoom; a bucket of two or more becomes one round marker with the
 * count, coloured by its most severe member, so a red case is never hidden under a blue count.
 * Pure: the map screen passes pixel positions from `map.latLngToLayerPoint`.
 */

export const LEVELS = ["blue", "yellow", "orange", "red"] as const;
export type Level = (typeof LEVELS)[number];

/** The most severe of some levels (red > orange > yellow > blue), or null when none has one. */
export function worstLevel(levels: Iterable<string | null | undefined>): Level | null {
  let worst = -1;
  for (const l of levels) worst = Math.max(worst, LEVELS.indexOf(l as Level));
  return worst < 0 ? null : LEVELS[worst]!;
}

export interface PlacedPoint<T> {
  x: number;
  y: number;
  level: string | null | undefined;
  item: T;
}

export interface Cluster<T> {
  x: number;
  y: number;
  level: Level | null;
  items: T[];
}

/**
 * Buckets points into square cells of `cellPx` pixels; each cluster sits at its members' mean
 * position. Output order is stable (first member's input order), so redraws do not shuffle.
 */
export function gridCluster<T>(points: PlacedPoint<T>[], cellPx = 60): Cluster<T>[] {
  const cells = new Map<string, { sx: number; sy: number; levels: (string | null | undefined)[]; items: T[] }>();
  for (const p of points) {
    const key = `${Math.floor(p.x / cellPx)}:${Math.floor(p.y / cellPx)}`;
    let c = cells.get(key);
    if (!c) {
      c = { sx: 0, sy: 0, levels: [], items: [] };
      cells.set(key, c);
    }
    c.sx += p.x;
    c.sy += p.y;
    c.levels.push(p.level);
    c.items.push(p.item);
  }
  return [...cells.values()].map((c) => ({
    x: c.sx / c.items.length,
    y: c.sy / c.items.length,
    level: worstLevel(c.levels),
    items: c.items,
  }));
}
