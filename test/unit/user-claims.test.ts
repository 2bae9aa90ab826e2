/** A session's claims against its user's version (core/sessions/user-claims.ts), with the stores faked. */
import { describe, expect, it } from "vitest";
import type { UserVersions } from "../../src/core/accounts/user-versions.js";
import type { Database, UserRecord } from "../../src/core/ports/database.js";
import { claimsOfCurrentUser } from "../../src/core/sessions/user-claims.js";

const user = (updatedMs: number, extra: Partial<UserRecord> = {}) =>
  ({ id: "u1", scopes: ["reports"], disabledAt: null, updatedAt: new Date(updatedMs), ...extra }) as UserRecord;

function stores(cached: number, row: UserRecord | null) {
  let reads = 0;
  const findById = async () => {
    reads++;
    return row;
  };
  const db = { users: { findById } } as unknown as Database;
  const userVersions = {
    current: async () => ({ version: cached }),
    raise: async () => cached,
  } as unknown as UserVersions;
  return { deps: { db, userVersions }, reads: () => reads };
}
const claims = { userId: "u1", authTime: 1, amr: ["pwd"], scope: "openid", clientId: "first-party" };

describe("claims of the current user", () => {
  it("reads nothing from Postgres while the version is unchanged", async () => {
    const s = stores(100, user(100));
    expect(await claimsOfCurrentUser(s.deps, "t1", { ...claims, userVersion: 100 })).toBe("unchanged");
    expect(s.reads()).toBe(0);
  });

  it("recomputes the scope on a change, and ends deleted or disabled users", async () => {
    const changed = await claimsOfCurrentUser(stores(200, user(200)).deps, "t1", { ...claims, userVersion: 100 });
    expect(changed).toMatchObject({ scope: "openid profile email reports", userVersion: 200 });
    expect(await claimsOfCurrentUser(stores(200, null).deps, "t1", claims)).toBe("ended");
    const disabled = user(200, { disabledAt: new Date(200) });
    expect(await claimsOfCurrentUser(stores(200, disabled).deps, "t1", claims)).toBe("ended");
  });

  it("matches the cache after one read even when the row's version fell below it (a writer's clock behind)", async () => {
    const s = stores(300, user(250));
    const fresh = await claimsOfCurrentUser(s.deps, "t1", { ...claims, userVersion: 100 });
    expect(fresh).toMatchObject({ userVersion: 300 });
    expect(await claimsOfCurrentUser(s.deps, "t1", fresh as typeof claims)).toBe("unchanged");
    expect(s.reads()).toBe(1);
  });

  it("keeps an OAuth client's session within its grant: lost scopes leave, gained ones never join", async () => {
    const client = { ...claims, clientId: "rp", grant: "openid email reports", scope: "openid email reports" };
    const lost = await claimsOfCurrentUser(stores(200, user(200, { scopes: [] })).deps, "t1", client);
    expect(lost).toMatchObject({ scope: "openid email", grant: "openid email reports" });
    const gained = user(300, { scopes: ["reports", "admin"] });
    expect(await claimsOfCurrentUser(stores(300, gained).deps, "t1", client)).toMatchObject({
      scope: "openid email reports",
    });
  });
});
