import { expect } from "vitest";
import { sha256Base64Url } from "../../src/core/crypto/digest.js";
import type { AuthorizationGrant } from "../../src/core/oidc/authorization-codes.js";
import type { Tenant } from "../../src/core/ports/database.js";
import { appClient, GOOD_PASSWORD, JSON_HEADERS } from "./accounts.js";
import { TEST_ADMIN_KEY, type TestApp } from "./app.js";

export const REDIRECT_URI = "https://rp.example/callback";

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
}

/** A relying party's fetch that reaches the in-process app (URLs keep the public issuer's origin). */
export function fetchThrough(t: TestApp) {
  return (url: string, options: { method?: string; headers?: HeadersInit; body?: unknown }) =>
    Promise.resolve(
      t.app.request(url, { method: options.method, headers: options.headers, body: options.body as BodyInit | null }),
    );
}

/** The OAuth side of a test tenant: clients, users, provider sessions and codes (the authorization endpoint's part). */
export function oauthFixtures(t: TestApp, slug: string) {
  const api = appClient(t);
  let tenant: Tenant | undefined;
  const tenantOf = async () => {
    tenant ??= (await t.deps.db.tenants.findBySlug(slug)) as Tenant;
    return tenant;
  };
  return {
    tenantOf,
    async register(body: Record<string, unknown>): Promise<RegisteredClient> {
      const response = await t.app.request(`/t/${slug}/v1/admin/clients`, {
        method: "POST",
        headers: { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` },
        body: JSON.stringify({ name: "RP", redirect_uris: [REDIRECT_URI], ...body }),
      });
      expect(response.status, await response.clone().text()).toBe(201);
      return response.json();
    },
    /** A user and the browser session at the provider (as the hosted login starts it). */
    async login(name?: string): Promise<{ userId: string; providerSessionId: string; email: string }> {
      const email = `user-${crypto.randomUUID()}@${slug}.example`;
      const signup = await api.signup(slug, email, GOOD_PASSWORD, name);
      expect(signup.status).toBe(201);
      const { user } = (await signup.json()) as { user: { id: string } };
      const record = await t.deps.db.users.findById((await tenantOf()).id, user.id);
      const { session } = await t.services.sessions.start(
        await tenantOf(),
        record as NonNullable<typeof record>,
        { authMethod: "password", amr: ["pwd"] },
        { userAgent: "browser/1.0", ip: "203.0.113.7" },
        { clientId: "provider" },
      );
      return { userId: user.id, providerSessionId: session.id, email };
    },
    /** A code as the authorization endpoint would issue it after login (and consent). */
    async code(
      grant: Partial<AuthorizationGrant> & Pick<AuthorizationGrant, "clientId" | "userId" | "providerSessionId">,
    ) {
      const verifier = grant.codeChallenge ? "" : randomVerifier();
      const full: AuthorizationGrant = {
        redirectUri: REDIRECT_URI,
        scope: "openid email profile",
        nonce: null,
        codeChallenge: await sha256Base64Url(verifier),
        authTime: Math.floor(Date.now() / 1000) - 5,
        amr: ["pwd"],
        ...grant,
      };
      // The consent a third-party client's code stands on (the consent page records it before the code).
      await t.services.consents.grant(await tenantOf(), full.userId, full.clientId, full.scope.split(" "));
      return { code: await t.services.authorizationCodes.issue(await tenantOf(), full), verifier, grant: full };
    },
  };
}

export const randomVerifier = () =>
  btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/** A raw form POST to the token endpoint. */
export function tokenRequest(
  t: TestApp,
  slug: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return t.app.request(`/t/${slug}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

export const basicAuth = (client: RegisteredClient) =>
  `Basic ${btoa(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret ?? "")}`)}`;
