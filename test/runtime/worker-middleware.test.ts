/**
 * The cross-cutting layer inside workerd (the built Worker): client address
 * from CF-Connecting-IP, rate limits and account backoff on Upstash REST,
 * request logs through console, CORS, and correlation headers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, GOOD_PASSWORD, JSON_HEADERS } from "../support/accounts.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { startWorkerHarness, type WorkerHarness, type WorkerInstance } from "../support/runtime-worker.js";

let h: WorkerHarness;
let worker: WorkerInstance;

beforeAll(async () => {
  h = await startWorkerHarness();
  worker = await h.start();
  const api = client(worker.request, h.adminKey);
  await api.createTenant("mw");
  expect((await api.signup("mw", "edge-user@example.com")).status).toBe(201);
  expect((await api.redirectUris("mw", ["https://spa.example.com/cb"])).status).toBe(200);
  const limits = await worker.request("/t/mw/v1/admin/rate-limits", {
    method: "PUT",
    headers: { Authorization: `Bearer ${h.adminKey}`, ...JSON_HEADERS },
    body: JSON.stringify({ signup: { limit: 2, window_seconds: 60 } }),
  });
  expect(limits.status).toBe(200);
});

afterAll(async () => {
  await h?.close();
});

const from = (ip: string, path: string, body: unknown, extra: Record<string, string> = {}) =>
  worker.request(path, {
    method: "POST",
    headers: { ...JSON_HEADERS, "CF-Connecting-IP": ip, ...extra },
    body: JSON.stringify(body),
  });

describe("inside workerd", () => {
  it("limits each CF-Connecting-IP network, answers 429 with Retry-After and RateLimit-*, and logs the refusal", async () => {
    const signup = (n: number, ip: string) =>
      from(
        ip,
        "/t/mw/v1/signup",
        { email: `limited${n}@example.com`, password: GOOD_PASSWORD },
        { "X-Request-Id": `edge-429-${n}` },
      );
    expect((await signup(1, "192.0.2.50")).status).toBe(201);
    expect((await signup(2, "192.0.2.50")).status).toBe(201);
    const refused = await readAnswer(await signup(3, "192.0.2.50"));
    expectProblem(refused, 429, "rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("ratelimit-limit")).toBe("2");
    expect(refused.headers.get("x-request-id")).toBe("edge-429-3");
    // Another client network is not affected.
    expect((await signup(4, "2001:db8:5::1")).status).toBe(201);

    const logged = worker.logs.filter((line) => line.includes('"event":"request"') && line.includes("edge-429-3"));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] as string)).toMatchObject({
      level: "info",
      route: "/t/:tenant/v1/signup",
      status: 429,
      tenant: "mw",
      request_id: "edge-429-3",
    });
  });

  it("backs off a network guessing one account's password, even for the right password", async () => {
    const login = (password: string) =>
      from("198.51.100.80", "/t/mw/v1/login", { email: "edge-user@example.com", password });
    for (let i = 0; i < 5; i++) expect((await login(`wrong ${i}`)).status).toBe(401);
    expectProblem(await readAnswer(await login(GOOD_PASSWORD)), 429, "rate_limited");
    expect(
      (await from("198.51.100.81", "/t/mw/v1/login", { email: "edge-user@example.com", password: GOOD_PASSWORD }))
        .status,
    ).toBe(200);
  });

  it("limits a network's lookups of unknown tenants before the database", async () => {
    const get = (ip: string, slug: string) =>
      worker.request(`/t/${slug}/.well-known/jwks.json`, { headers: { "CF-Connecting-IP": ip } });
    let refused: Response | undefined;
    // 300 a minute, refilled at 5 per second while the loop runs.
    for (let i = 0; i < 400 && !refused; i++) {
      const answer = await get("203.0.113.99", `nope-${i}`);
      if (answer.status === 429) refused = answer;
      else {
        expect(answer.status).toBe(404);
        await answer.body?.cancel();
      }
    }
    expect(refused, "a 429 within 400 lookups").toBeDefined();
    expectProblem(await readAnswer(refused as Response), 429, "rate_limited");
    expect((await get("198.51.100.99", "nope-0")).status).toBe(404);
  });

  it("answers CORS preflights for the tenant's origins only", async () => {
    const preflight = (origin: string) =>
      worker.request("/t/mw/v1/token/refresh", {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
      });
    const ok = await preflight("https://spa.example.com");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://spa.example.com");
    expect((await preflight("https://evil.example.com")).status).toBe(403);
  });

  it("writes no secret to its logs", () => {
    const text = worker.logs.join("\n");
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(GOOD_PASSWORD);
    expect(text).not.toContain(h.adminKey);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  });
});
