import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rotateDueKeys } from "../../src/core/jobs.js";
import type { SigningKeyRecord } from "../../src/core/ports/database.js";
import { MAX_RETIRED_PUBLISHED } from "../../src/core/signing/key-ring.js";
import { buildServices } from "../../src/http/services.js";
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

  /**
   * The scheduled job's ring with a 1 h rotation interval, below what the configuration takes (1 d), so
   * a ring is due while admin rotations are still refused; the rule the job applies is the same.
   */
  const hourlyRing = () =>
    buildServices({ ...t.deps, config: { ...t.deps.config, SIGNING_KEY_ROTATION_INTERVAL: 3_600_000 } }).keyRing;

  beforeAll(async () => {
    t = await startTestApp({ clock });
    // ES256: quick key generation; the limit is the same for every algorithm.
    for (const slug of ["busy", "calm", "crowded", "racy", "twice"])
      await api().createTenant(slug, { signing_alg: "ES256" });
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
    expect(await rotateDueKeys(t.deps.db, hourlyRing(), t.deps.logger)).toBeGreaterThanOrEqual(1);
    expect(await activeKid("busy")).not.toBe(before);
  });

  it("answers concurrent rotations 200 or 409 rotation_conflict, never 500, and counts only those that rotated", async () => {
    const tenant = await t.services.tenants.require("racy");
    const retiredBefore = (await t.deps.db.signingKeys.listPublished(tenant.id, clock.now(), 100)).length;
    const answers = await Promise.all(Array.from({ length: 10 }, async () => readAnswer(await api().rotate("racy"))));
    const ok = answers.filter((a) => a.status === 200);
    const lost = answers.filter((a) => a.status !== 200);
    for (const answer of lost) {
      expectProblem(answer, 409, "rotation_conflict");
      expect(answer.headers.get("retry-after")).toBe("1");
    }
    // Ten at once on one ring: some lose every attempt (about 3 of 10 rotate here).
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(lost.length).toBeGreaterThanOrEqual(1);
    // Each 200 is one rotation: one more key in the ring, a distinct new active key.
    const after = await t.deps.db.signingKeys.listPublished(tenant.id, clock.now(), 100);
    expect(after.length - retiredBefore).toBe(ok.length);
    expect(new Set(ok.map((a) => a.json.active_kid)).size).toBe(ok.length);
    // The lost ones used none of the day's 10.
    for (let i = ok.length; i < 10; i++) expect((await api().rotate("racy")).status).toBe(200);
    expectProblem(await readAnswer(await api().rotate("racy")), 429, "rate_limited");
  });

  it("rotates a due ring once when replicas run the scheduled job at the same time", async () => {
    const tenant = await t.services.tenants.require("twice");
    clock.advance(2 * 3_600_000);
    const before = (await t.deps.db.signingKeys.listPublished(tenant.id, clock.now(), 100)).length;
    // Two replicas: their own key-ring services over one database.
    const replicas = [hourlyRing(), hourlyRing()];
    const results = await Promise.all(replicas.map((ring) => ring.rotateIfDue(tenant)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await t.deps.db.signingKeys.listPublished(tenant.id, clock.now(), 100)).toHaveLength(before + 1);
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
