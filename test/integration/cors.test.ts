import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, GOOD_PASSWORD, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";

const APP = "https://app.example.com";
const EVIL = "https://app.example.com.evil.test";

describe("CORS with the tenant's origin allowlist", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    const api = appClient(t);
    await api.createTenant("web");
    expect((await api.redirectUris("web", [`${APP}/callback`, "com.example.app:/cb"])).status).toBe(200);
    expect((await api.signup("web", "cors@example.com")).status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  const preflight = (path: string, origin: string, method = "POST") =>
    t.app.request(path, {
      method: "OPTIONS",
      headers: {
        Origin: origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type",
      },
    });

  it("answers a preflight from an allowed origin, with credentials", async () => {
    const response = await preflight("/t/web/v1/login", APP);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")).toMatch(/Content-Type/i);
    expect(response.headers.get("access-control-max-age")).toBe("600");
    expect(response.headers.get("vary")).toContain("Origin");
  });

  it.each([
    "/t/web/v1/password/forgot",
    "/t/web/v1/password/reset",
    "/t/web/v1/password/change",
    "/t/web/v1/email/verify",
    "/t/web/v1/email/verification",
    "/t/web/v1/email/change",
  ])("lets the allowed origin call %s (the email and password flows) from the browser", async (path) => {
    const response = await preflight(path, APP);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
    expectProblem(await readAnswer(await preflight(path, EVIL)), 403, "forbidden");
  });

  it.each([EVIL, "http://app.example.com", "https://evil.test", "null", "https://APP.example.com:443"])(
    "refuses a preflight from %s",
    async (origin) => {
      const answer = await readAnswer(await preflight("/t/web/v1/token/refresh", origin));
      expectProblem(answer, 403, "forbidden");
      expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    },
  );

  it("lets an allowed origin read a login response and its headers; another origin gets no CORS headers", async () => {
    const login = (origin: string) =>
      t.app.request("/t/web/v1/login", {
        method: "POST",
        headers: { ...JSON_HEADERS, Origin: origin },
        body: JSON.stringify({ email: "cors@example.com", password: GOOD_PASSWORD }),
      });
    const allowed = await login(APP);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(APP);
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    expect(allowed.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    expect(allowed.headers.get("access-control-expose-headers")).toContain("Retry-After");

    const foreign = await login(EVIL);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    expect(foreign.headers.get("access-control-allow-credentials")).toBeNull();
    expect(foreign.headers.get("vary")).toContain("Origin");
  });

  it("keeps CORS headers on error answers, so the app can read them", async () => {
    const answer = await t.app.request("/t/web/v1/me", { headers: { Origin: APP } });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("serves discovery and the JWKS to any origin, without credentials", async () => {
    for (const path of ["/t/web/.well-known/jwks.json", "/t/web/.well-known/openid-configuration"]) {
      const response = await t.app.request(path, { headers: { Origin: EVIL } });
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("sends no CORS headers on admin, service and redirect routes, whatever the origin", async () => {
    for (const path of ["/t/web/v1/admin/rate-limits", "/t/web/v1/introspect", "/t/web/v1/oauth/google/authorize"]) {
      const response = await t.app.request(path, { headers: { Origin: APP } });
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      const pre = await preflight(path, APP);
      expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  describe("account routes called with a Bearer token only", () => {
    let token = "";
    beforeAll(async () => {
      const login = await appClient(t).login("web", "cors@example.com");
      token = ((await login.json()) as { access_token: string }).access_token;
    });
    const id = "00000000-0000-4000-8000-000000000000";
    const routes: [string, string, unknown?][] = [
      ["GET", "/t/web/v1/api-keys"],
      ["POST", "/t/web/v1/api-keys", { name: "from the browser", scopes: [] }],
      ["DELETE", `/t/web/v1/api-keys/${id}`],
      ["GET", "/t/web/v1/consents"],
      ["DELETE", "/t/web/v1/consents/some-client"],
      ["GET", "/t/web/v1/mfa/factors"],
      ["DELETE", `/t/web/v1/mfa/factors/${id}`],
      ["POST", "/t/web/v1/mfa/totp"],
      ["POST", `/t/web/v1/mfa/totp/${id}/confirm`, { code: "000000" }],
      ["POST", "/t/web/v1/mfa/recovery-codes"],
      ["GET", "/t/web/v1/mfa/passkeys"],
      ["PATCH", `/t/web/v1/mfa/passkeys/${id}`, { name: "Laptop" }],
      ["DELETE", `/t/web/v1/mfa/passkeys/${id}`],
    ];
    const call = (method: string, path: string, origin: string, body?: unknown) =>
      t.app.request(path, {
        method,
        headers: { Origin: origin, Authorization: `Bearer ${token}`, ...JSON_HEADERS },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    it.each(routes)("opens %s %s to the allowed origin, without credentials", async (method, path, body) => {
      const pre = await preflight(path, APP, method);
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(APP);
      expect(pre.headers.get("access-control-allow-methods")).toContain(method);
      expect(pre.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
      expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
      expect(pre.headers.get("vary")).toContain("Origin");

      const answer = await call(method, path, APP, body);
      expect(answer.status, await answer.clone().text()).not.toBe(401);
      expect(answer.headers.get("access-control-allow-origin")).toBe(APP);
      expect(answer.headers.get("access-control-allow-credentials")).toBeNull();
      expect(answer.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    });

    it.each(routes)("refuses %s %s to another origin", async (method, path, body) => {
      const pre = await readAnswer(await preflight(path, EVIL, method));
      expectProblem(pre, 403, "forbidden");
      expect(pre.headers.get("access-control-allow-origin")).toBeNull();

      const answer = await call(method, path, EVIL, body);
      expect(answer.headers.get("access-control-allow-origin")).toBeNull();
      expect(answer.headers.get("access-control-allow-credentials")).toBeNull();
      expect(answer.headers.get("vary")).toContain("Origin");
    });

    it("answers the SDK's reads to the allowed origin", async () => {
      for (const path of [
        "/t/web/v1/api-keys",
        "/t/web/v1/consents",
        "/t/web/v1/mfa/factors",
        "/t/web/v1/mfa/passkeys",
      ]) {
        const answer = await call("GET", path, APP);
        expect(answer.status, path).toBe(200);
        expect(answer.headers.get("access-control-allow-origin"), path).toBe(APP);
      }
    });

    it.each([
      // A service route: its caller is a server with an API key.
      "/t/web/v1/api-keys/verify",
      // Passkey ceremonies: WebAuthn accepts them only from PUBLIC_URL's origin.
      "/t/web/v1/mfa/passkeys/registration/options",
      "/t/web/v1/mfa/passkeys/registration",
      "/t/web/v1/passkeys/authentication/options",
      "/t/web/v1/passkeys/authentication",
      "/t/web/v1/mfa/passkeys/authentication/options",
      "/t/web/v1/mfa/enroll/passkey/options",
      "/t/web/v1/mfa/enroll/passkey",
    ])("keeps %s closed to other origins, the allowed one included", async (path) => {
      const pre = await preflight(path, APP);
      expect(pre.headers.get("access-control-allow-origin")).toBeNull();
      const answer = await t.app.request(path, {
        method: "POST",
        headers: { ...JSON_HEADERS, Origin: APP },
        body: "{}",
      });
      expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    });
  });

  it("keeps tenants apart: an origin allowed by one tenant is not allowed by another", async () => {
    await appClient(t).createTenant("elsewhere");
    const response = await preflight("/t/elsewhere/v1/login", APP);
    expect(response.status).toBe(403);
  });
});
