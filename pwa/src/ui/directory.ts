/** The pulled directory (users, org units) in memory for names and pickers. */
import { listRecords } from "../storage/records";
import type { Fields, User } from "../types";

let users = new Map<string, Fields>();
let units = new Map<string, Fields>();

export async function loadDirectory(): Promise<void> {
  const [u, o] = await Promise.all([listRecords("users"), listRecords("org_units")]);
  users = new Map(u.map((r) => [r.id, r.fields]));
  units = new Map(o.map((r) => [r.id, r.fields]));
}

export function userName(id: unknown): string {
  if (typeof id !== "string") return "—";
  const u = users.get(id);
  // Never a raw id on screen: someone outside this phone's directory is just "—".
  return (u?.["display_name"] as string) || (u?.["username"] as string) || "—";
}

export function unitName(id: unknown): string {
  if (typeof id !== "string") return "—";
  return (units.get(id)?.["name"] as string) || "—";
}

export function usersWithRole(role: string): { id: string; name: string; org: unknown }[] {
  return [...users].filter(([, u]) => u["role"] === role).map(([id, u]) => ({ id, name: userName(id), org: u["org_unit_id"] }));
}

export function unitsOfKind(kind: string): { id: string; name: string; parent: unknown }[] {
  return [...units]
    .filter(([, u]) => u["kind"] === kind)
    .map(([id, u]) => ({ id, name: String(u["name"] ?? id), parent: u["parent_id"] }))
    .sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
}

/** The community a user works in: their org unit, or the nearest community above it. */
export function communityOf(user: User): string {
  let id: unknown = user.org_unit_id;
  for (let i = 0; i < 8 && typeof id === "string"; i++) {
    const u = units.get(id);
    if (!u) break;
    if (u["kind"] === "community") return id;
    id = u["parent_id"];
  }
  return user.org_unit_id;
}

/** Grids (and stations) under a community, for the dispute form. */
export function gridsOf(communityId: string): { id: string; name: string }[] {
  return unitsOfKind("grid").filter((g) => g.parent === communityId);
}

export function roomsNear(user: User): { id: string; name: string }[] {
  const rooms = unitsOfKind("room");
  const mine = rooms.filter((r) => r.id === user.org_unit_id || r.parent === user.org_unit_id || r.parent === communityOf(user));
  return mine.length ? mine : rooms;
}
