/**
 * The shared hall tablet's storage: one database per person, a PIN that seals and reopens a
 * session, and no way to read another person's records through the app.
 */
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { databaseName, useDatabaseName } from "../src/storage/db";
import { getMeta, setMeta } from "../src/storage/meta";
import { activeSession, putTabletUser, setActiveSession, tabletUser, userDatabaseName } from "../src/storage/tablet";
import { lockActive, MAX_FAILURES, restoreSession, setPin, unlock } from "../src/api/pin";
import { createRecord, viewCollection } from "../src/sync/view";
import type { AuthState, User } from "../src/types";

const A: User = { id: "0000000a-0000-4000-8000-0000000000a1", username: "hall.a", display_name: "甲", role: "community_admin", org_unit_id: "00000000-0000-4000-8000-0000000000c1" };
const B: User = { ...A, id: "0000000a-0000-4000-8000-0000000000b1", username: "hall.b", display_name: "乙" };

async function signIn(u: User): Promise<AuthState> {
  useDatabaseName(userDatabaseName(u.id));
  const auth: AuthState = { access_token: `at-${u.id}`, refresh_token: `rt-${u.id}`, expires_at: Date.now() + 3600_000, device_id: "0000000d-0000-4000-8000-000000000001", user: u };
  await setMeta("auth", auth);
  await putTabletUser({ user: u, failures: 0 });
  await setActiveSession({ user_id: u.id });
  return auth;
}

describe("shared tablet", () => {
  it("keeps each person's records in their own database and seals a locked session", async () => {
    const authA = await signIn(A);
    await setPin(A.id, "2468");
    await createRecord("disputes", { community_id: A.org_unit_id, title: "甲的纠纷", risk_level: "blue" });
    expect(await lockActive()).toBe(true);
    // Locked: no active person, A's tokens exist only sealed, never in the clear.
    expect(await activeSession()).toBeUndefined();
    expect(await getMeta("auth")).toBeUndefined();
    const sealed = await tabletUser(A.id);
    expect(sealed?.sealed).toBeDefined();
    expect(new TextDecoder().decode(new Uint8Array(sealed!.sealed!.data))).not.toContain(authA.refresh_token);

    await signIn(B);
    expect(databaseName()).toBe(userDatabaseName(B.id));
    expect(await viewCollection("disputes")).toEqual([]); // B never sees A's records

    // A comes back: a wrong PIN does not open; the right one restores A's session and records.
    const wrong = await unlock((await tabletUser(A.id))!, "1111");
    expect(wrong.result).toBe("wrong");
    const ok = await unlock((await tabletUser(A.id))!, "2468");
    expect(ok.result).toBe("ok");
    expect(ok.auth?.refresh_token).toBe(authA.refresh_token);
    useDatabaseName(userDatabaseName(A.id));
    await restoreSession(ok.auth!, ok.key!);
    expect((await viewCollection("disputes")).map((d) => d.fields["title"])).toEqual(["甲的纠纷"]);
    expect((await tabletUser(A.id))?.failures).toBe(0);
  });

  it("drops the sealed session after too many wrong PINs", async () => {
    await signIn(B);
    await setPin(B.id, "1357");
    await lockActive();
    let result = "";
    for (let i = 0; i < MAX_FAILURES; i++) result = (await unlock((await tabletUser(B.id))!, "0000")).result;
    expect(result).toBe("locked_out");
    expect((await tabletUser(B.id))?.sealed).toBeUndefined();
    expect((await unlock((await tabletUser(B.id))!, "1357")).result).toBe("locked_out");
  });
});
