import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { pinnedClock } from "../support/key-ring.js";
import { expectProblem, readAnswer } from "../support/problem.js";

/** Issue 16: unknown tenants were answered before any limit, one database lookup per random slug. */
describe("a flood of random tenant slugs", () => {
  let t: TestApp;
  const clock = pinnedClock(Date.UTC(2026, 10, 30, 9));
  /** Slugs the tenant repository was asked for (the database lookups). */
  const lookups: string[] = [];
  const get = (slug: string, ip: string) =>
    t.app.request(`/t/${slug}/.well-known/openid-configuration`, { headers: { "X-Test-Client-Ip": ip } });

  beforeAll(async () => {
    t = await startTestApp({ clock });
    const repository = t.deps.db.tenants;
    const findBySlug = repository.findBySlug.bind(repository);
    repository.findBySlug = (slug) => {
      lookups.push(slug);
      return findBySlug(slug);
    };
    await appClient(t).createTenant("known");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("is refused with 429 after the lookup limit, with bounded database lookups, and never evicts a known tenant", async () => {
    const attacker = "203.0.113.7";
    expect((await get("known", attacker)).status).toBe(200);
    lookups.length = 0;

    // More random slugs than the old cache held (1,000), all from one network.
    const statuses = new Map<number, number>();
    let refusal: Response | undefined;
    for (let i = 0; i < 1_200; i++) {
      const answer = await get(`random-${i}-${crypto.randomUUID().slice(0, 8)}`, attacker);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status === 429) refusal ??= answer;
      else await answer.body?.cancel();
    }
    expect(Object.fromEntries(statuses)).toEqual({ 404: 300, 429: 900 });
    expect(lookups).toHaveLength(300);
    const refused = await readAnswer(refusal as Response);
    expectProblem(refused, 429, "rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

    // The known tenant is still served from the cache: no lookup, and not refused.
    expect((await get("known", attacker)).status).toBe(200);
    expect(lookups).toHaveLength(300);
  });

  it("cannot flush known tenants from the cache, even from many networks", async () => {
    expect((await get("known", "192.0.2.1")).status).toBe(200);
    lookups.length = 0;
    // 1,200 unknown slugs, each network within its lookup limit.
    for (let i = 0; i < 1_200; i++) {
      expect((await get(`flush-${i}`, `192.0.2.${10 + (i % 5)}`)).status).toBe(404);
    }
    expect(lookups).toHaveLength(1_200);
    expect((await get("known", "192.0.2.1")).status).toBe(200);
    expect(lookups).not.toContain("known");
  });

  it("does not refuse a busy client when its tenant's cached entry expires: concurrent misses share one lookup", async () => {
    const busy = "198.51.100.77";
    expect((await get("known", busy)).status).toBe(200);
    // Each expiry used to cost one lookup per request in flight against the network's 300 a minute
    // (480 here); the route's own limit (600 a minute) is not reached.
    for (let round = 0; round < 4; round++) {
      clock.advance(6_000);
      lookups.length = 0;
      const answers = await Promise.all(Array.from({ length: 120 }, () => get("known", busy)));
      expect(answers.filter((a) => a.status !== 200).map((a) => a.status)).toEqual([]);
      expect(lookups).toEqual(["known"]);
    }
  });

  /** A tenant made in the database behind this process's back: no lookup here has found it yet. */
  const unseenTenant = (slug: string) =>
    t.deps.db.tenants.createIfAbsent({ id: crypto.randomUUID(), slug, name: slug, settings: {}, now: clock.now() });

  it("does not pass a refusal on: a lookup started by a network over its limit still serves the others waiting on it", async () => {
    const attacker = "203.0.113.8";
    const neighbour = "198.51.100.78";
    let burnt = 0;
    while ((await get(`burn-${burnt}`, attacker)).status !== 429) burnt++;
    expect(burnt).toBeGreaterThan(0);
    await unseenTenant("fresh");
    lookups.length = 0;
    // The attacker's request comes first and starts the lookup; its refusal is its own.
    const [refused, served] = await Promise.all([get("fresh", attacker), get("fresh", neighbour)]);
    expectProblem(await readAnswer(refused), 429, "rate_limited");
    expect(served.status).toBe(200);
    expect(lookups).toEqual(["fresh"]);
    // Found once, the tenant no longer costs the attacker's spent budget.
    clock.advance(6_000);
    expect((await get("fresh", attacker)).status).toBe(200);
  });

  it("never limits the refresh of a tenant this process found, so a busy client's budget does not shrink with tenants and replicas", async () => {
    const gateway = "198.51.100.90";
    const slugs = Array.from({ length: 30 }, (_, i) => `busy-${i}`);
    for (const slug of slugs) await unseenTenant(slug);
    for (const slug of slugs) expect((await get(slug, gateway)).status).toBe(200);
    // 30 tenants refreshed every 5 s for a minute: 360 lookups, over the 300 a minute of slugs never found.
    lookups.length = 0;
    for (let round = 0; round < 12; round++) {
      clock.advance(5_100);
      const answers = await Promise.all(slugs.map((slug) => get(slug, gateway)));
      expect(answers.filter((a) => a.status !== 200).map((a) => a.status)).toEqual([]);
    }
    expect(lookups).toHaveLength(360);
    // Slugs never found still cost the client's budget.
    let unknown = 0;
    while ((await get(`nowhere-${unknown}`, gateway)).status === 404) unknown++;
    expect(unknown).toBeLessThanOrEqual(300);
  }, 60_000); // about 700 requests: 8 s alone, over 20 s on a loaded machine

  it("leaves other networks unaffected", async () => {
    const neighbour = "198.51.100.20";
    expectProblem(await readAnswer(await get("someone-elses-typo", neighbour)), 404, "tenant_not_found");
    expect((await get("known", neighbour)).status).toBe(200);
  });
});
