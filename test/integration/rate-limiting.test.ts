import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IoRedisKeyValueStore } from "../../src/adapters/redis/ioredis.js";
import type { KeyValueStore } from "../../src/core/ports/key-value.js";
import { appClient, GOOD_PASSWORD, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { pinnedClock } from "../support/key-ring.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { recordingLogger, recordingMetrics } from "../support/recorders.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { REDIS_URL } from "../support/services.js";

const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };

describe("rate limits per client network", () => {
  let t: TestApp;
  const clock = pinnedClock(Date.UTC(2026, 10, 29, 8));
  const recorded = recordingMetrics();
  const logs = recordingLogger();
  const api = () => appClient(t);
  const login = (tenant: string, ip: string, email = "nobody@example.com", password = "wrong password 1") =>
    t.app.request(`/t/${tenant}/v1/login`, {
      method: "POST",
      headers: { ...JSON_HEADERS, "X-Test-Client-Ip": ip, "X-Request-Id": `login-${ip}` },
      body: JSON.stringify({ email, password }),
    });
  const setLimits = (tenant: string, body: unknown) =>
    t.app.request(`/t/${tenant}/v1/admin/rate-limits`, { method: "PUT", headers: ADMIN, body: JSON.stringify(body) });

  beforeAll(async () => {
    t = await startTestApp({ clock, metrics: recorded.metrics, logger: logs.logger });
    await api().createTenant("limited");
    await api().createTenant("other");
    expect((await setLimits("limited", { login: { limit: 3, window_seconds: 60 } })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("answers 429 rate_limited with Retry-After and RateLimit-* once a network spends its burst", async () => {
    const ip = "192.0.2.10";
    for (let i = 0; i < 3; i++) {
      const answer = await login("limited", ip);
      expect(answer.status).toBe(401);
      expect(answer.headers.get("ratelimit-limit")).toBe("3");
      expect(answer.headers.get("ratelimit-remaining")).toBe(String(2 - i));
      expect(answer.headers.get("ratelimit-policy")).toBe("3;w=60");
    }
    const refused = await readAnswer(await login("limited", ip));
    expectProblem(refused, 429, "rate_limited");
    expect(refused.headers.get("retry-after")).toBe("20");
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    expect(refused.headers.get("ratelimit-reset")).toBe("60");
    // Every response carries the security headers and the request id, a refusal too.
    expect(refused.headers.get("x-request-id")).toBe(`login-${ip}`);
    expect(refused.headers.get("x-content-type-options")).toBe("nosniff");

    clock.advance(20_000);
    expect((await login("limited", ip)).status).toBe(401);
    expect((await login("limited", ip)).status).toBe(429);
  });

  it("makes a throttled network wait no longer than the window of a limit raised meanwhile", async () => {
    await api().createTenant("raised");
    expect((await setLimits("raised", { login: { limit: 3, window_seconds: 3600 } })).status).toBe(200);
    const ip = "192.0.2.11";
    for (let i = 0; i < 3; i++) expect((await login("raised", ip)).status).toBe(401);
    expect((await login("raised", ip)).headers.get("retry-after")).toBe("1200");
    expect((await setLimits("raised", { login: { limit: 1000, window_seconds: 60 } })).status).toBe(200);
    // Throttled as if the new burst were spent: one interval (60 ms) to wait, whole again within the window.
    const refused = await login("raised", ip);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("ratelimit-policy")).toBe("1000;w=60");
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("ratelimit-reset")).toBe("60");
    clock.advance(1_000);
    expect((await login("raised", ip)).status).toBe(401);
  });

  it("counts IPv6 clients per /64, other networks and other tenants apart", async () => {
    for (const ip of ["2001:db8:aa:1::1", "2001:db8:aa:1::2", "2001:db8:aa:1:ffff::3"]) {
      expect((await login("limited", ip)).status).toBe(401);
    }
    expect((await login("limited", "2001:db8:aa:1:1234::9")).status).toBe(429);
    expect((await login("limited", "2001:db8:aa:2::1")).status).toBe(401);
    expect((await login("other", "2001:db8:aa:1::1")).status).toBe(401);
  });

  it("logs a refused request with its request id and counts it, though it never reaches the handler", async () => {
    const before = logs.lines.length;
    const ip = "192.0.2.99";
    for (let i = 0; i < 3; i++) await login("limited", ip);
    recorded.counts.length = 0;
    expect((await login("limited", ip)).status).toBe(429);
    const line = logs.lines.slice(before).findLast((l) => l.event === "request");
    expect(line?.fields).toMatchObject({
      request_id: `login-${ip}`,
      status: 429,
      route: "/t/:tenant/v1/login",
      method: "POST",
      tenant: "limited",
    });
    expect(recorded.counts).toContainEqual({
      name: "rate_limit_rejections_total",
      labels: { limit: "login", scope: "ip" },
    });
    expect(recorded.counts).toContainEqual({
      name: "http_requests_total",
      labels: { method: "POST", route: "/t/:tenant/v1/login", status: "429" },
    });
    // Refused before the handler: no login was attempted, so none was counted.
    expect(recorded.counts.filter((c) => c.name === "logins_total")).toEqual([]);
  });

  it("never limits probes", async () => {
    for (let i = 0; i < 700; i++) {
      const response = await t.app.request("/healthz", { headers: { "X-Test-Client-Ip": "192.0.2.200" } });
      if (response.status !== 200) expect.unreachable(`healthz answered ${response.status}`);
    }
  });

  it("shows the effective limits and validates overrides", async () => {
    const current = await readAnswer(await t.app.request("/t/limited/v1/admin/rate-limits", { headers: ADMIN }));
    expect(current.status).toBe(200);
    expect(current.json).toMatchObject({
      login: { limit: 3, window_seconds: 60 },
      signup: { limit: 10, window_seconds: 60 },
      default: { limit: 600, window_seconds: 60 },
    });
    for (const bad of [
      { login: { limit: 0, window_seconds: 60 } },
      { login: { limit: 5, window_seconds: 0 } },
      { login: { limit: 5.5, window_seconds: 60 } },
      { login: { limit: 5 } },
      { lgoin: { limit: 5, window_seconds: 60 } },
      { login: { limit: 5, window_seconds: 60, burst: 9 } },
      [],
    ]) {
      expectProblem(await readAnswer(await setLimits("other", bad)), 400, "validation_failed");
    }
    const anonymous = await t.app.request("/t/other/v1/admin/rate-limits", { headers: JSON_HEADERS });
    expect(anonymous.status).toBe(401);
    // Replacing the overrides returns unnamed limits to their defaults.
    const reset = await readAnswer(await setLimits("other", { token: { limit: 7, window_seconds: 10 } }));
    expect(reset.json).toMatchObject({
      token: { limit: 7, window_seconds: 10 },
      login: { limit: 30, window_seconds: 60 },
    });
  });
});

describe("account protection against password guessing", () => {
  let t: TestApp;
  const clock = pinnedClock(Date.UTC(2026, 10, 29, 10));
  const api = () => appClient(t);
  const login = (email: string, ip: string, password: string) =>
    t.app.request("/t/guarded/v1/login", {
      method: "POST",
      headers: { ...JSON_HEADERS, "X-Test-Client-Ip": ip },
      body: JSON.stringify({ email, password }),
    });

  beforeAll(async () => {
    t = await startTestApp({ clock });
    await api().createTenant("guarded");
  });
  afterAll(async () => {
    await t?.close();
  });

  async function signup(email: string, ip: string) {
    const response = await t.app.request("/t/guarded/v1/signup", {
      method: "POST",
      headers: { ...JSON_HEADERS, "X-Test-Client-Ip": ip },
      body: JSON.stringify({ email, password: GOOD_PASSWORD }),
    });
    expect(response.status).toBe(201);
  }

  it("slows one network down after 5 failures, even for the right password, then lets the owner in", async () => {
    await signup("backoff@example.com", "198.51.100.1");
    for (let i = 0; i < 5; i++)
      expect((await login("backoff@example.com", "192.0.2.1", `wrong ${i}`)).status).toBe(401);
    const throttled = await readAnswer(await login("backoff@example.com", "192.0.2.1", GOOD_PASSWORD));
    expectProblem(throttled, 429, "rate_limited");
    expect(throttled.headers.get("retry-after")).toBe("1");
    // The doubling: each further failure waits twice as long.
    clock.advance(1_000);
    expect((await login("backoff@example.com", "192.0.2.1", "wrong 6")).status).toBe(401);
    clock.advance(1_999);
    expect((await login("backoff@example.com", "192.0.2.1", GOOD_PASSWORD)).status).toBe(429);
    clock.advance(1);
    expect((await login("backoff@example.com", "192.0.2.1", GOOD_PASSWORD)).status).toBe(200);
    // A success clears that network's failures.
    for (let i = 0; i < 4; i++)
      expect((await login("backoff@example.com", "192.0.2.1", `again ${i}`)).status).toBe(401);
    expect((await login("backoff@example.com", "192.0.2.1", GOOD_PASSWORD)).status).toBe(200);
  });

  it("checks no more than 5 passwords of a burst of concurrent guesses from one network", async () => {
    await signup("burst@example.com", "198.51.100.5");
    const statuses = await Promise.all(
      Array.from({ length: 25 }, async (_, i) => (await login("burst@example.com", "192.0.2.5", `burst ${i}`)).status),
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });

  it("locks the account after failures from several networks, but not for a network its owner used", async () => {
    await signup("locked@example.com", "198.51.100.2");
    expect((await login("locked@example.com", "198.51.100.2", GOOD_PASSWORD)).status).toBe(200);
    for (let net = 1; net <= 4; net++) {
      for (let i = 0; i < 5; i++) {
        expect((await login("locked@example.com", `203.0.113.${net}`, `guess ${net}-${i}`)).status).toBe(401);
      }
    }
    const locked = await readAnswer(await login("locked@example.com", "203.0.113.77", GOOD_PASSWORD));
    expectProblem(locked, 423, "account_locked");
    expect(locked.headers.get("retry-after")).toBe("900");
    // The owner's usual network still gets in.
    expect((await login("locked@example.com", "198.51.100.2", GOOD_PASSWORD)).status).toBe(200);
    clock.advance(900_000);
    expect((await login("locked@example.com", "203.0.113.77", GOOD_PASSWORD)).status).toBe(200);
  });

  it("cannot be used to lock a user out from one network", async () => {
    await signup("target@example.com", "198.51.100.3");
    for (let i = 0; i < 40; i++) {
      clock.advance(16 * 60_000); // past every backoff, so each guess is checked
      expect((await login("target@example.com", "192.0.2.66", `guess ${i}`)).status).toBe(401);
    }
    expect((await login("target@example.com", "192.0.2.67", GOOD_PASSWORD)).status).toBe(200);
  });

  it("answers an unknown email exactly like a real one (no enumeration through throttling)", async () => {
    await signup("real@example.com", "198.51.100.4");
    const statuses = async (email: string, prefix: string) => {
      const seen: number[] = [];
      for (let net = 1; net <= 4; net++) {
        for (let i = 0; i < 6; i++) seen.push((await login(email, `${prefix}.${net}`, `nope ${i}`)).status);
      }
      seen.push((await login(email, `${prefix}.99`, "nope")).status);
      return seen;
    };
    const real = await statuses("real@example.com", "10.1.1");
    const ghost = await statuses("ghost@example.com", "10.2.2");
    expect(ghost).toEqual(real);
    expect(real.at(-1)).toBe(423);
  });
});

// A cluster client too: it must fail as fast as the single-server one, not queue commands.
for (const cluster of [false, true]) {
  describe(`when Redis${cluster ? " (a cluster)" : ""} is unreachable`, () => {
    let t: TestApp;
    const logs = recordingLogger();

    beforeAll(async () => {
      // Nothing listens on the discard port: every Redis command fails at once.
      t = await startTestApp({
        logger: logs.logger,
        kv: new IoRedisKeyValueStore({ url: "redis://127.0.0.1:9", prefix: "down:", cluster }),
      });
      await appClient(t).createTenant("offline");
    });
    afterAll(async () => {
      await t?.close();
    });

    it("keeps serving reads (fails open)", async () => {
      const jwks = await t.app.request("/t/offline/.well-known/jwks.json");
      expect(jwks.status).toBe(200);
      expect(jwks.headers.get("ratelimit-limit")).toBeNull();
      // The first failure opens the circuit: later requests do not wait on Redis, and add no error line.
      const started = performance.now();
      for (let i = 0; i < 5; i++) expect((await t.app.request("/t/offline/.well-known/jwks.json")).status).toBe(200);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(logs.lines).toContainEqual(
        expect.objectContaining({
          event: "rate_limiter_unavailable",
          fields: expect.objectContaining({ limit: "default", skipped: 0 }),
        }),
      );
      expect(logs.lines.filter((line) => line.event === "rate_limiter_unavailable")).toHaveLength(1);
    });

    it("refuses logins and sign-ups with 503 rather than allow unlimited guessing (fails closed)", async () => {
      for (const path of ["/t/offline/v1/login", "/t/offline/v1/signup"]) {
        const answer = await readAnswer(
          await t.app.request(path, {
            method: "POST",
            headers: JSON_HEADERS,
            body: JSON.stringify({ email: "who@example.com", password: GOOD_PASSWORD }),
          }),
        );
        expectProblem(answer, 503, "service_unavailable");
        expect(answer.headers.get("retry-after")).toBe("5");
      }
    });
  });
}

describe("the limiter's circuit breaker", () => {
  let t: TestApp;
  const clock = pinnedClock(Date.UTC(2026, 10, 29, 12));
  let redisDown = false;
  const prefix = testPrefix();

  beforeAll(async () => {
    const real = new IoRedisKeyValueStore({ url: REDIS_URL, prefix });
    // The real store, with an outage switched on and off by the test.
    const flaky: KeyValueStore = new Proxy(real, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property === "run" && typeof value === "function") {
          return (...args: unknown[]) =>
            redisDown ? Promise.reject(new Error("connection refused")) : value.apply(target, args);
        }
        return value;
      },
    });
    t = await startTestApp({ clock, kv: flaky });
    await appClient(t).createTenant("breaker");
  });
  afterAll(async () => {
    await t?.close();
    await deletePrefix(prefix);
  });

  const jwks = () => t.app.request("/t/breaker/.well-known/jwks.json");

  it("skips decisions for 5 s after a failure, then asks Redis again", async () => {
    expect((await jwks()).headers.get("ratelimit-limit")).toBe("600");
    redisDown = true;
    expect((await jwks()).headers.get("ratelimit-limit")).toBeNull();
    redisDown = false;
    // Redis is back, but the circuit is open: no decision yet.
    clock.advance(4_999);
    expect((await jwks()).headers.get("ratelimit-limit")).toBeNull();
    clock.advance(1);
    expect((await jwks()).headers.get("ratelimit-limit")).toBe("600");
  });
});
