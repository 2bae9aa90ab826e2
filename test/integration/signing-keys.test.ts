import { createPublicKey } from "node:crypto";
import { createVerifier } from "fast-jwt";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, decode, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";

let t: TestApp;
let api: ReturnType<typeof appClient>;

beforeAll(async () => {
  t = await startTestApp();
  api = appClient(t);
});
afterAll(async () => {
  await t.close();
});

async function tokenFor(tenant: string, email: string): Promise<string> {
  const response = await api.signup(tenant, email);
  expect(response.status).toBe(201);
  return ((await response.json()) as TokenBody).access_token;
}

/**
 * An outside verifier: another JOSE implementation (fast-jwt on node:crypto),
 * given nothing but the published JWKS, as a resource server would be.
 */
async function verifyOutside(tenant: string, token: string) {
  const { keys } = await api.jwks(tenant);
  const issuer = `${TEST_PUBLIC_URL}/t/${tenant}`;
  const verify = createVerifier({
    key: async ({ header }: { header: { kid?: string } }) => {
      const jwk = keys.find((k) => k.kid === header.kid);
      if (!jwk) throw new Error(`kid ${header.kid} is not published`);
      return createPublicKey({ key: jwk, format: "jwk" }).export({ format: "pem", type: "spki" }).toString();
    },
    algorithms: ["RS256", "ES256", "EdDSA"],
    allowedIss: issuer,
    allowedAud: issuer,
    requiredClaims: ["sub", "sid", "tid", "jti", "exp", "iat", "nbf"],
  });
  return verify(token) as Promise<Record<string, unknown>>;
}

describe("JWKS and discovery", () => {
  beforeAll(async () => {
    await api.createTenant("keys");
  });

  it("publishes the active and the next key, public members only, cacheable", async () => {
    const response = await t.app.request("/t/keys/.well-known/jwks.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    const etag = response.headers.get("etag");
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", e: "AQAB" });
      expect(Object.keys(key).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
      // 2048-bit modulus: 256 bytes, 342 base64url characters.
      expect(String(key.n)).toHaveLength(342);
    }
    const again = await t.app.request("/t/keys/.well-known/jwks.json", { headers: { "If-None-Match": etag ?? "" } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("describes the issuer", async () => {
    const response = await t.app.request("/t/keys/.well-known/openid-configuration");
    expect(response.status).toBe(200);
    const issuer = `${TEST_PUBLIC_URL}/t/keys`;
    expect(await response.json()).toMatchObject({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/oauth2/token`,
      introspection_endpoint: `${issuer}/v1/introspect`,
      revocation_endpoint: `${issuer}/v1/revoke`,
      userinfo_endpoint: `${issuer}/v1/userinfo`,
      end_session_endpoint: `${issuer}/logout`,
      // Exactly what the tenant's keys sign with.
      id_token_signing_alg_values_supported: ["RS256"],
    });
  });

  it("keeps private keys sealed at rest", async () => {
    const client = new pg.Client({ connectionString: t.database.url });
    await client.connect();
    const { rows } = await client.query("select private_key_sealed, public_jwk from signing_keys");
    await client.end();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.private_key_sealed).toMatch(/^s1\.t1\./);
      expect(row.private_key_sealed).not.toContain('"d"');
      expect(row.public_jwk).not.toHaveProperty("d");
    }
  });
});

describe("rotation", () => {
  beforeAll(async () => {
    await api.createTenant("rotating");
  });

  it("signs with the published next key after a rotation, and keeps old tokens valid", async () => {
    const before = await tokenFor("rotating", "before@example.com");
    const jwksBefore = await api.jwks("rotating");
    const oldKid = decode(before).header.kid;

    const response = await api.rotate("rotating");
    expect(response.status).toBe(200);
    const rotated = (await response.json()) as { active_kid: string; next_kid: string };
    // The key that signs now is the one that was already published as next.
    expect(jwksBefore.keys.map((k) => k.kid)).toContain(rotated.active_kid);
    expect(rotated.active_kid).not.toBe(oldKid);
    expect(rotated.next_kid).not.toBe(rotated.active_kid);

    const after = await tokenFor("rotating", "after@example.com");
    expect(decode(after).header.kid).toBe(rotated.active_kid);

    const kids = (await api.jwks("rotating")).keys.map((k) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, rotated.active_kid, rotated.next_kid]));
    expect(kids).toHaveLength(3);

    for (const token of [before, after]) {
      expect((await api.me("rotating", token)).status).toBe(200);
      expect(await verifyOutside("rotating", token)).toMatchObject({ tid: expect.any(String) });
    }
  });

  it("survives rotations in a row and concurrent ones", async () => {
    const first = await tokenFor("rotating", "row@example.com");
    const results = await Promise.all([api.rotate("rotating"), api.rotate("rotating"), api.rotate("rotating")]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const { keys } = await api.jwks("rotating");
    const client = new pg.Client({ connectionString: t.database.url });
    await client.connect();
    const { rows } = await client.query(
      "select state, count(*)::int as n from signing_keys k join tenants t on t.id = k.tenant_id where t.slug = 'rotating' group by state order by state",
    );
    await client.end();
    expect(rows.filter((r) => r.state !== "retired")).toEqual([
      { state: "active", n: 1 },
      { state: "next", n: 1 },
    ]);
    expect(keys.length).toBe(rows.reduce((sum, r) => sum + r.n, 0));
    expect((await api.me("rotating", first)).status).toBe(200);
  });

  it("needs the admin credential and a known tenant", async () => {
    const anonymous = await t.app.request("/t/rotating/v1/admin/signing-keys/rotate", { method: "POST" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe(`Bearer realm="${TEST_PUBLIC_URL}/t/rotating"`);
    expect((await api.rotate("missing")).status).toBe(404);
  });
});

describe("algorithms", () => {
  it.each([
    ["ES256", { kty: "EC", crv: "P-256" }],
    ["EdDSA", { kty: "OKP", crv: "Ed25519" }],
  ])("issues and verifies %s tokens when the tenant chooses it", async (alg, shape) => {
    const slug = `alg-${alg.toLowerCase()}`;
    await api.createTenant(slug, { signing_alg: alg });
    const token = await tokenFor(slug, "alg@example.com");
    expect(decode(token).header.alg).toBe(alg);
    expect((await api.jwks(slug)).keys[0]).toMatchObject({ alg, ...shape });
    expect((await api.me(slug, token)).status).toBe(200);
    expect(await verifyOutside(slug, token)).toMatchObject({ sub: expect.any(String) });
    await api.rotate(slug);
    expect((await api.me(slug, token)).status).toBe(200);
  });

  it("honours a tenant's token lifetime and audience", async () => {
    await api.createTenant("custom", { access_token_ttl: 120, audience: "https://api.example.com" });
    const { claims } = decode(await tokenFor("custom", "c@example.com"));
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
    expect(claims.aud).toBe("https://api.example.com");
  });

  it.each([
    [{ signing_alg: "HS256" }, "signing_alg"],
    [{ signing_alg: "none" }, "signing_alg"],
    [{ access_token_ttl: 10 }, "access_token_ttl"],
    [{ access_token_ttl: 1.5 }, "access_token_ttl"],
    // Settings are fixed at creation: a misspelt one is refused, not dropped.
    [{ acess_token_ttl: 60 }, "(body)"],
    [{ session_idle_ttl: 100_000, session_absolute_ttl: 3_600 }, "session_idle_ttl"],
  ])("refuses tenant settings %j", async (settings, path) => {
    const response = await api.post(
      "/v1/admin/tenants",
      { slug: "bad-settings", name: "x", ...settings },
      { Authorization: `Bearer ${t.deps.config.BOOTSTRAP_ADMIN_KEY}`, "Content-Type": "application/json" },
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual([path]);
  });
});
