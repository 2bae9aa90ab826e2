import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rotateDueKeys } from "../../src/core/jobs.js";
import type { SigningKeyRecord } from "../../src/core/ports/database.js";
import { MAX_RETIRED_PUBLISHED } from "../../src/core/signing/key-ring.js";
import { appClient } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { pinnedClock } from "../support/key-ring.js";
import { expectProblem, readAnswer } from "../support/problem.js";

/** Issue 16: admin rotations were only limited by the default 600/min, and every retired key stayed in the JWKS. */
describe("signing-key rotation limits", () => {
  let t: TestApp;
  const clock = pinnedClock(Date.UTC(2026, 11, 1, 10));
  const api = () => appClient(t);
  const activeKid = async (slug: string) => {
    const keys = await t.services.keyRing.published(await t.services.tenants.require(slug), true);
    return keys.find((k) => k.state === "active")?.kid;
  };

  beforeAll(async () => {
    t = await startTestApp({ clock }, { SIGNING_KEY_ROTATION_INTERVAL: "1h" });
    // ES256: quick key generation; the limit is the same for every algorithm.
    for (const slug of ["busy", "calm", "crowded"]) await api().createTenant(slug, { signing_alg: "ES256" });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("refuses admin rotations beyond 10 a day per tenant, but never the scheduled job", async () => {
    for (let i = 0; i < 10; i++) expect((await api().rotate("busy")).status).toBe(200);
    const refused = await readAnswer(await api().rotate("busy"));
    expectProblem(refused, 429, "rate_limited");
    // One more every 2.4 h (10 per 24 h).
    expect(refused.headers.get("retry-after")).toBe("8640");
    // Another tenant has its own allowance.
    expect((await api().rotate("calm")).status).toBe(200);

    clock.advance(3_600_000);
    expect((await api().rotate("busy")).status).toBe(429);
    const before = await activeKid("busy");
    expect(await rotateDueKeys(t.deps.db, t.services.keyRing, t.deps.logger)).toBeGreaterThanOrEqual(1);
    expect(await activeKid("busy")).not.toBe(before);
  });

  it("publishes at most the newest retired keys, even when the ring holds more", async () => {
    const tenant = await t.services.tenants.require("crowded");
    const now = clock.now().getTime();
    const ring = await t.services.keyRing.published(tenant, true);
    let active = ring.find((k) => k.state === "active") as SigningKeyRecord;
    let next = ring.find((k) => k.state === "next") as SigningKeyRecord;
    // Rows beyond the bound, straight through the repository (as many rotations within a token lifetime would leave).
    const retiredKids: string[] = [];
    for (let i = 0; i < MAX_RETIRED_PUBLISHED + 16; i++) {
      const fresh = { ...next, id: crypto.randomUUID(), kid: `extra-${i}`, createdAt: new Date(now + i) };
      const rotated = await t.deps.db.signingKeys.rotate({
        tenantId: tenant.id,
        activeId: active.id,
        nextId: next.id,
        now: new Date(now + i),
        retiredPublishUntil: new Date(now + 3_600_000),
        newNext: fresh,
      });
      expect(rotated).toBe(true);
      retiredKids.push(active.kid);
      [active, next] = [next, fresh];
    }
    clock.advance(30_000); // the ring cache's lifetime (SIGNING_KEY_CACHE_TTL)
    const response = await t.app.request("/t/crowded/.well-known/jwks.json");
    const kids = ((await response.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(kids).toHaveLength(MAX_RETIRED_PUBLISHED + 2);
    expect(kids).toEqual(expect.arrayContaining([active.kid, next.kid, ...retiredKids.slice(-MAX_RETIRED_PUBLISHED)]));
    expect(kids).not.toContain(retiredKids[0]);
    // Verification accepts exactly what is published.
    expect(await t.services.keyRing.verifier(tenant, retiredKids.at(-1) as string)).not.toBeNull();
    expect(await t.services.keyRing.verifier(tenant, retiredKids[0] as string)).toBeNull();
  });
});
