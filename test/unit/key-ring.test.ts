import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClientRecord, NewClient } from "../../src/core/ports/db/clients.js";
import { KeyRingService } from "../../src/core/signing/key-ring.js";
import { ACCESS_TOKEN_TTL_RANGE } from "../../src/core/tenant-settings.js";
import { RING_OPTIONS, startKeyRing } from "../support/key-ring.js";

let h: Awaited<ReturnType<typeof startKeyRing>>;
let sql: pg.Client;
beforeAll(async () => {
  h = await startKeyRing();
  sql = new pg.Client({ connectionString: h.url });
  await sql.connect();
});
afterAll(async () => {
  await sql.end();
  await h.close();
});

const DAY = 86_400_000;
const states = (keys: { state: string }[]) => keys.map((k) => k.state).sort();

describe("key ring", () => {
  it("creates one active and one next key on first use, once", async () => {
    const tenant = await h.tenant("first-use");
    const rings = await Promise.all(Array.from({ length: 5 }, () => h.keyRing.published(tenant, true)));
    for (const keys of rings) expect(states(keys)).toEqual(["active", "next"]);
    const { rows } = await sql.query("select count(*)::int as n from signing_keys where tenant_id = $1", [tenant.id]);
    expect(rows[0].n).toBe(2);
  });

  it("rotates next -> active -> retired, keeping the retired key published until its tokens expire", async () => {
    const tenant = await h.tenant("states", { access_token_ttl: 600 });
    const before = await h.keyRing.published(tenant);
    const oldActive = before.find((k) => k.state === "active");
    const oldNext = before.find((k) => k.state === "next");
    const rotatedAt = h.clock.now().getTime();
    const { activeKid, nextKid } = await h.keyRing.rotate(tenant);
    expect(activeKid).toBe(oldNext?.kid);

    const after = await h.keyRing.published(tenant);
    expect(states(after)).toEqual(["active", "next", "retired"]);
    const retired = after.find((k) => k.state === "retired");
    expect(retired?.kid).toBe(oldActive?.kid);
    expect(after.find((k) => k.state === "next")?.kid).toBe(nextKid);
    // token lifetime + other instances' key cache + clock skew
    const expected = rotatedAt + 600_000 + RING_OPTIONS.cacheMs + RING_OPTIONS.clockSkewMs;
    expect(retired?.publishUntil?.getTime()).toBe(expected);

    h.clock.advance(expected - rotatedAt - 1);
    expect(states(await h.keyRing.published(tenant, true))).toEqual(["active", "next", "retired"]);
    h.clock.advance(1);
    expect(states(await h.keyRing.published(tenant, true))).toEqual(["active", "next"]);
  });

  it("keeps a retired key published for the longest token lifetime of the tenant, a client's included", async () => {
    const tenant = await h.tenant("client-ttl", { access_token_ttl: 60 });
    const client = (accessTokenTtl: number | null): NewClient => ({
      tenantId: tenant.id,
      clientId: crypto.randomUUID().replace(/-/g, "").slice(0, 22),
      name: "Long-lived",
      type: "confidential",
      redirectUris: [],
      postLogoutRedirectUris: [],
      grantTypes: ["client_credentials"],
      scopes: ["read"],
      firstParty: false,
      accessTokenTtl,
      refreshTokenTtl: null,
      secretHash: "a".repeat(64),
      now: h.clock.now(),
    });
    await h.db.clients.create(client(3_600), 10);
    await h.db.clients.create(client(null), 10);
    const rotatedAt = h.clock.now().getTime();
    await h.keyRing.rotate(tenant);
    const retired = (await h.keyRing.published(tenant, true)).find((k) => k.state === "retired");
    expect(retired?.publishUntil?.getTime()).toBe(
      rotatedAt + 3_600_000 + RING_OPTIONS.cacheMs + RING_OPTIONS.clockSkewMs,
    );

    // A client whose lifetime was lowered may have signed longer-lived tokens before the change: the
    // key that signed them stays published for the longest lifetime any token may have from then.
    const lowered = (await h.db.clients.create(client(86_400), 10)) as ClientRecord;
    h.clock.advance(60_000);
    const changedAt = h.clock.now().getTime();
    await h.db.clients.update(tenant.id, lowered.clientId, { accessTokenTtl: 60 }, h.clock.now());
    h.clock.advance(60_000);
    const secondActive = (await h.keyRing.published(tenant, true)).find((k) => k.state === "active");
    await h.keyRing.rotate(tenant);
    const retiredAgain = (await h.keyRing.published(tenant, true)).find((k) => k.kid === secondActive?.kid);
    expect(retiredAgain?.publishUntil?.getTime()).toBe(
      changedAt + ACCESS_TOKEN_TTL_RANGE.max * 1000 + RING_OPTIONS.cacheMs + RING_OPTIONS.clockSkewMs,
    );
  });

  it("rotates on schedule only when due and when the next key has been published a whole JWKS lifetime", async () => {
    const tenant = await h.tenant("scheduled");
    await h.keyRing.published(tenant);
    expect(await h.keyRing.rotateIfDue(tenant)).toBe(false);
    h.clock.advance(30 * DAY - 1);
    expect(await h.keyRing.rotateIfDue(tenant)).toBe(false);
    h.clock.advance(1);

    // Make the next key young: it must not sign before verifiers could have cached it.
    await sql.query("update signing_keys set created_at = $2 where tenant_id = $1 and state = 'next'", [
      tenant.id,
      new Date(h.clock.now().getTime() - RING_OPTIONS.jwksMaxAgeMs + 1000),
    ]);
    expect(await h.keyRing.rotateIfDue(tenant)).toBe(false);
    h.clock.advance(1000);
    expect(await h.keyRing.rotateIfDue(tenant)).toBe(true);
    expect(await h.keyRing.rotateIfDue(tenant)).toBe(false);
  });

  it("lets another instance pick up a rotation: signing within the cache lifetime, verification at once", async () => {
    const tenant = await h.tenant("instances");
    const other = new KeyRingService(h.db, h.deps, RING_OPTIONS);
    const kidBefore = (await h.keyRing.signer(tenant)).kid;
    expect((await other.signer(tenant)).kid).toBe(kidBefore);

    const { activeKid } = await other.rotate(tenant);
    // This instance still signs with its cached (now retired, still published) key...
    expect((await h.keyRing.signer(tenant)).kid).toBe(kidBefore);
    // ...but verifies the new key's tokens once past the unknown-kid cooldown.
    h.clock.advance(5_000);
    expect(await h.keyRing.verifier(tenant, activeKid)).not.toBeNull();
    h.clock.advance(RING_OPTIONS.cacheMs);
    expect((await h.keyRing.signer(tenant)).kid).toBe(activeKid);
  });

  it("does not hit the database again for unknown kids within the cooldown", async () => {
    const tenant = await h.tenant("cooldown");
    await h.keyRing.published(tenant, true);
    let reads = 0;
    const counting = {
      ...h.db,
      signingKeys: {
        ...h.db.signingKeys,
        listPublished: (...args: Parameters<typeof h.db.signingKeys.listPublished>) => {
          reads++;
          return h.db.signingKeys.listPublished(...args);
        },
      },
    };
    const ring = new KeyRingService(counting, h.deps, RING_OPTIONS);
    await ring.published(tenant);
    reads = 0;
    for (let i = 0; i < 20; i++) expect(await ring.verifier(tenant, `forged-${i}`)).toBeNull();
    expect(reads).toBe(0);
    h.clock.advance(5_000);
    expect(await ring.verifier(tenant, "forged-late")).toBeNull();
    expect(reads).toBe(1);
  });
});
