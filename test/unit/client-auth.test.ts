/**
 * How an OAuth endpoint learns its client (RFC 6749 §2.3): Basic, form
 * fields or a public client's bare id, and the RFC 6749 §5.2 errors when
 * that fails. The directory is an in-memory ClientDirectory; the real one
 * is exercised through introspection and revocation (integration tests).
 */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { ClientDirectory, OAuthClient } from "../../src/core/oidc/client-types.js";
import type { Tenant } from "../../src/core/ports/database.js";
import type { AppEnv } from "../../src/http/context.js";
import { clientFromRequest } from "../../src/http/middleware/client-auth.js";
import { errorHandler } from "../../src/http/problem.js";
import { recordingLogger } from "../support/recorders.js";

const ISSUER = "https://auth.test.example/t/acme";
const tenant = { id: "7d9f1d56-3f53-4e7a-9a8e-1d0c8b1c0c11", slug: "acme" } as Tenant;
const at = new Date("2026-03-04T05:06:07Z");

const client = (clientId: string, type: OAuthClient["type"]): OAuthClient => ({
  tenantId: tenant.id,
  clientId,
  name: clientId,
  type,
  redirectUris: ["https://app.example/cb"],
  postLogoutRedirectUris: [],
  grantTypes: ["authorization_code", "refresh_token"],
  scopes: ["openid"],
  firstParty: false,
  accessTokenTtl: null,
  refreshTokenTtl: null,
  createdAt: at,
  updatedAt: at,
});

// A secret with characters that RFC 6749 §2.3.1 form-encodes inside Basic.
const SECRET = "s3cret:with+plus&amp=/ü";
const confidential = client("conf-client", "confidential");
const spa = client("spa-client", "public");
const directory: ClientDirectory = {
  find: async (_t, id) => [confidential, spa].find((c) => c.clientId === id) ?? null,
  authenticate: async (_t, id, secret) => (id === confidential.clientId && secret === SECRET ? confidential : null),
};

function app() {
  const hono = new Hono<AppEnv>();
  hono.onError(errorHandler(recordingLogger().logger));
  hono.use("*", async (c, next) => {
    c.set("services", { clients: directory, tokens: { issuer: () => ISSUER } } as never);
    c.set("tenant", tenant);
    await next();
  });
  hono.post("/token", async (c) => {
    const form = Object.fromEntries(
      [...new URLSearchParams(await c.req.text())].filter(([k]) => k.startsWith("client_")),
    );
    const { client, method } = await clientFromRequest(c, form);
    return c.json({ client_id: client.clientId, method });
  });
  return hono;
}

const formEncode = (text: string) => encodeURIComponent(text).replace(/%20/g, "+");
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString("base64")}`;

async function call(form: Record<string, string>, authorization?: string) {
  const response = await app().request("/token", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      ...(authorization ? { Authorization: authorization } : {}),
    },
    body: new URLSearchParams({ grant_type: "client_credentials", ...form }).toString(),
  });
  return { response, body: (await response.json()) as Record<string, unknown> };
}

async function expectOAuthError(
  answer: Promise<{ response: Response; body: Record<string, unknown> }>,
  status: number,
  error: string,
  challenge: string | null,
) {
  const { response, body } = await answer;
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/json");
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(response.headers.get("www-authenticate")).toBe(challenge);
  expect(Object.keys(body).sort()).toEqual(["error", "error_description"]);
  expect(body.error).toBe(error);
  expect(body.error_description).toEqual(expect.any(String));
}

describe("clientFromRequest", () => {
  it("takes client_secret_basic with form-urlencoded id and secret (RFC 6749 §2.3.1)", async () => {
    const { response, body } = await call({}, basic(confidential.clientId, SECRET));
    expect(response.status).toBe(200);
    expect(body).toEqual({ client_id: "conf-client", method: "client_secret_basic" });
    // The same client_id in the form as in the header is fine.
    const again = await call({ client_id: confidential.clientId }, basic(confidential.clientId, SECRET));
    expect(again.body.method).toBe("client_secret_basic");
  });

  it("takes client_secret_post", async () => {
    const { body } = await call({ client_id: confidential.clientId, client_secret: SECRET });
    expect(body).toEqual({ client_id: "conf-client", method: "client_secret_post" });
  });

  it("knows a public client by its id alone", async () => {
    const { body } = await call({ client_id: spa.clientId });
    expect(body).toEqual({ client_id: "spa-client", method: "none" });
  });

  it("refuses a wrong secret with 401 invalid_client, challenging for Basic only when Basic was tried", async () => {
    const challenge = `Basic realm="${ISSUER}"`;
    await expectOAuthError(call({}, basic(confidential.clientId, "wrong")), 401, "invalid_client", challenge);
    await expectOAuthError(
      call({ client_id: confidential.clientId, client_secret: "wrong" }),
      401,
      "invalid_client",
      null,
    );
  });

  it("refuses a confidential client without its secret, an unknown client, and no client at all", async () => {
    await expectOAuthError(call({ client_id: confidential.clientId }), 401, "invalid_client", null);
    await expectOAuthError(call({ client_id: "nobody" }), 401, "invalid_client", null);
    await expectOAuthError(call({}), 401, "invalid_client", null);
  });

  it("refuses a public client that sends a secret (it has none)", async () => {
    await expectOAuthError(call({ client_id: spa.clientId, client_secret: "x" }), 401, "invalid_client", null);
    await expectOAuthError(call({}, basic(spa.clientId, "")), 401, "invalid_client", `Basic realm="${ISSUER}"`);
  });

  it("refuses two methods at once, or two different client ids, with invalid_request", async () => {
    const header = basic(confidential.clientId, SECRET);
    await expectOAuthError(
      call({ client_id: confidential.clientId, client_secret: SECRET }, header),
      400,
      "invalid_request",
      null,
    );
    await expectOAuthError(call({ client_id: spa.clientId }, header), 400, "invalid_request", null);
  });

  it.each([
    ["not base64", "Basic !!!"],
    ["no colon", `Basic ${btoa("conf-client")}`],
    ["empty id", `Basic ${btoa(`:${SECRET}`)}`],
    ["bad percent-encoding", `Basic ${btoa("conf%zz:x")}`],
    ["not UTF-8", `Basic ${Buffer.from([0x63, 0xff, 0x3a, 0x78]).toString("base64")}`],
    ["no credentials", "Basic"],
  ])("refuses malformed Basic credentials (%s) with invalid_client and a Basic challenge", async (_, header) => {
    await expectOAuthError(call({}, header), 401, "invalid_client", `Basic realm="${ISSUER}"`);
  });

  it("ignores another scheme's Authorization header", async () => {
    const { body } = await call({ client_id: spa.clientId }, "Bearer sk_whatever");
    expect(body.method).toBe("none");
  });
});
