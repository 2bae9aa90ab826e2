/**
 * The SDK's access-token verifier (the built package, as a consumer imports
 * it) against the real service: tokens of every algorithm the service signs
 * with verify; forged, foreign, mistyped, misaddressed and out-of-time tokens
 * are refused with a stable reason. Tokens with chosen claims are signed with
 * the tenant's own active key (taken from the service's key ring), so each
 * case fails on the one check it is about, not on the signature.
 */
import { createHmac, createPublicKey, generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import {
  createVerifier,
  SUPPORTED_ALGORITHMS,
  TokenVerificationError,
  type Verifier,
  type VerifyResult,
  verifyAccessToken,
} from "@authority/sdk";
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { b64, type SdkHarness, type Signed, startSdkHarness, type TokenChange, tenantSigned } from "./support.js";

let h: SdkHarness;
const users: Record<string, Signed> = {};
const verifiers: Record<string, Verifier> = {};
/** A server an attacker controls: it must never be asked for anything. */
let attacker: Server;
let attackerHits = 0;
let attackerUrl: string;

const tok = (tenant: string) => (users[tenant] as Signed).access_token;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  h = await startSdkHarness();
  await h.api.createTenant("rs");
  await h.api.createTenant("es", { signing_alg: "ES256" });
  await h.api.createTenant("ed", { signing_alg: "EdDSA" });
  await h.api.createTenant("aud", { audience: "https://api.example.com" });
  for (const tenant of ["rs", "es", "ed", "aud"]) {
    users[tenant] = await h.signup(tenant);
    const audience = tenant === "aud" ? "https://api.example.com" : h.issuer(tenant);
    verifiers[tenant] = createVerifier({ issuer: h.issuer(tenant), audience });
  }
  attacker = createServer((_, res) => {
    attackerHits++;
    res.end("{}");
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => attacker?.close(resolve));
  await h?.close();
});

/** The tenant's active signing key, as the service signs with it. */
async function tenantSigner(slug: string) {
  const tenant = await h.t.services.tenants.require(slug);
  return h.t.services.keyRing.signer(tenant);
}

const signed = (slug: string, change: TokenChange = {}) => tenantSigned(h, slug, tok(slug), change);

const refused = (result: VerifyResult) => {
  expect(result.ok).toBe(false);
  return result.ok ? null : result.reason;
};

describe("valid tokens", () => {
  it.each(["rs", "es", "ed", "aud"])("verifies a real token of tenant %s with node:crypto", async (tenant) => {
    const verifier = verifiers[tenant] as Verifier;
    expect(verifier.backend).toBe("node:crypto");
    const result = await verifier.verify(tok(tenant));
    expect(result).toMatchObject({ ok: true, header: { typ: "at+jwt" } });
    if (!result.ok) return;
    expect(result.claims).toMatchObject({ iss: h.issuer(tenant), sub: users[tenant]?.user.id, amr: ["pwd"] });
    expect(result.header.alg).toBe({ rs: "RS256", es: "ES256", ed: "EdDSA", aud: "RS256" }[tenant]);
  });

  it("has a throwing form", async () => {
    const verifier = verifiers.rs as Verifier;
    await expect(verifier.verifyOrThrow(tok("rs"))).resolves.toMatchObject({
      iss: h.issuer("rs"),
    });
    const error = await verifier.verifyOrThrow("nonsense").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenVerificationError);
    expect(error).toMatchObject({ error: "invalid_token", reason: "malformed" });
  });

  it("has a one-call form that keeps one verifier (and its JWKS) per options object", async () => {
    const options = { issuer: h.issuer("rs"), audience: h.issuer("rs") };
    expect(await verifyAccessToken(tok("rs"), options)).toMatchObject({ ok: true, claims: { iss: h.issuer("rs") } });
    expect(await verifyAccessToken("a.b.c", options)).toMatchObject({ ok: false, error: "invalid_token" });
    expect(await verifyAccessToken(tok("rs"), verifiers.rs as Verifier)).toMatchObject({ ok: true });
    // A token of another tenant is refused by this issuer's verifier.
    expect(await verifyAccessToken(tok("es"), options)).toMatchObject({ ok: false, error: "invalid_token" });
  });

  it("accepts application/at+jwt in any case, audiences as lists, and skew within the tolerance", async () => {
    const rs = verifiers.rs as Verifier;
    for (const typ of ["application/at+jwt", "AT+JWT", "Application/At+Jwt"]) {
      expect((await rs.verify(await signed("rs", { header: { typ } }))).ok).toBe(true);
    }
    expect((await rs.verify(await signed("rs", { claims: { aud: ["other", h.issuer("rs")] } }))).ok).toBe(true);
    expect((await rs.verify(await signed("rs", { claims: { exp: now() - 30 } }))).ok).toBe(true);
    expect((await rs.verify(await signed("rs", { claims: { nbf: now() + 30, iat: now() + 30 } }))).ok).toBe(true);
    expect((await rs.verify(await signed("rs", { drop: ["nbf"] }))).ok).toBe(true);
  });

  it("cannot be talked into a different result by header or claim names", async () => {
    const token = await signed("rs", { header: { ok: false, reason: "forged" }, claims: { ok: false } });
    const result = await (verifiers.rs as Verifier).verify(token);
    expect(result.ok).toBe(true);
  });

  it("loads the JWKS once for many concurrent first verifications", async () => {
    await h.api.createTenant("burst");
    const user = await h.signup("burst");
    const verifier = createVerifier({ issuer: h.issuer("burst"), audience: h.issuer("burst") });
    const results = await Promise.all(Array.from({ length: 100 }, () => verifier.verify(user.access_token)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(h.jwksCount("burst")).toBe(1);
    expect(verifier.stats().jwksFetches).toBe(1);
  });
});

describe("forged tokens", () => {
  it("refuses alg none, with and without a signature", async () => {
    const claims = decodeJwt(tok("rs"));
    const { kid } = JSON.parse(Buffer.from(tok("rs").split(".")[0] as string, "base64url").toString());
    for (const alg of ["none", "None", "NONE"]) {
      const token = `${b64({ alg, kid, typ: "at+jwt" })}.${b64(claims)}.`;
      expect(refused(await (verifiers.rs as Verifier).verify(token))).toBe("algorithm");
      expect(refused(await (verifiers.rs as Verifier).verify(`${token}c2ln`))).toBe("algorithm");
    }
  });

  it("refuses HS256 signed with the public key (PEM, DER, JWK and modulus bytes as the secret)", async () => {
    const token = tok("rs");
    const { kid } = JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString());
    const jwks = await h.api.jwks("rs");
    const jwk = jwks.keys.find((k) => k.kid === kid) as JWK;
    const publicKey = createPublicKey({ key: jwk as never, format: "jwk" });
    const secrets = [
      publicKey.export({ type: "spki", format: "pem" }),
      publicKey.export({ type: "pkcs1", format: "pem" }),
      publicKey.export({ type: "spki", format: "der" }),
      JSON.stringify(jwk),
      Buffer.from(jwk.n as string, "base64url"),
    ];
    for (const alg of ["HS256", "HS384", "HS512"]) {
      for (const secret of secrets) {
        const input = `${b64({ alg, kid, typ: "at+jwt" })}.${token.split(".")[1]}`;
        const digest = `sha${alg.slice(2)}`;
        const forged = `${input}.${createHmac(digest, secret).update(input).digest("base64url")}`;
        expect(refused(await (verifiers.rs as Verifier).verify(forged))).toBe("algorithm");
      }
    }
  });

  it("refuses a foreign key reusing the tenant's kid, for every algorithm", async () => {
    for (const [tenant, alg] of [
      ["rs", "RS256"],
      ["es", "ES256"],
      ["ed", "EdDSA"],
    ] as const) {
      const signer = await tenantSigner(tenant);
      const foreign = await generateKeyPair(alg);
      const claims = decodeJwt(tok(tenant));
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg, kid: signer.kid, typ: "at+jwt" })
        .sign(foreign.privateKey);
      expect(refused(await (verifiers[tenant] as Verifier).verify(token))).toBe("signature");
    }
  });

  it("refuses a token whose algorithm is not its key's (ES256 under an RSA kid)", async () => {
    const signer = await tenantSigner("rs");
    const foreign = await generateKeyPair("ES256");
    const claims = decodeJwt(tok("rs"));
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: signer.kid, typ: "at+jwt" })
      .sign(foreign.privateKey);
    expect(refused(await (verifiers.rs as Verifier).verify(token))).toBe("key_mismatch");
  });

  it("never takes keys from jku, x5u or an embedded jwk, and never fetches them", async () => {
    const foreign = await generateKeyPair("RS256", { extractable: true });
    const publicJwk = await exportJWK(foreign.publicKey);
    const foreignKid = await calculateJwkThumbprint(publicJwk);
    const realKid = (await tenantSigner("rs")).kid;
    const claims = decodeJwt(tok("rs"));
    const headers = [
      { kid: foreignKid, jku: `${attackerUrl}/jwks.json` },
      { kid: foreignKid, x5u: `${attackerUrl}/cert.pem` },
      { kid: foreignKid, jwk: { ...publicJwk, kid: foreignKid } },
      { jwk: publicJwk },
      { kid: realKid, jwk: publicJwk },
      { kid: realKid, jku: `${attackerUrl}/jwks.json` },
    ];
    const reasons = [];
    for (const header of headers) {
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", typ: "at+jwt", ...header } as unknown as { alg: string })
        .sign(foreign.privateKey);
      reasons.push(refused(await (verifiers.rs as Verifier).verify(token)));
    }
    expect(reasons).toEqual(["unknown_key", "unknown_key", "unknown_key", "unknown_key", "signature", "signature"]);
    expect(attackerHits).toBe(0);
  });

  it("refuses a token altered after signing", async () => {
    const [header, payload, signature] = tok("rs").split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const altered = `${header}.${b64({ ...claims, sub: "someone-else" })}.${signature}`;
    expect(refused(await (verifiers.rs as Verifier).verify(altered))).toBe("signature");
    const es = tok("es").split(".");
    // An ES256 signature in DER rather than R || S is refused, not converted.
    const der = Buffer.concat([Buffer.from([0x30, 0x44, 0x02, 0x20]), Buffer.alloc(68, 1)]).toString("base64url");
    expect(refused(await (verifiers.es as Verifier).verify(`${es[0]}.${es[1]}.${der}`))).toBe("signature");
  });

  it("refuses malformed tokens", async () => {
    const [header, payload, signature] = tok("rs").split(".") as [string, string, string];
    const malformed = [
      "",
      "abc",
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.x.y`,
      `${header}.${payload}=.${signature}`,
      `${header}.${payload}.${signature}=`,
      `${header}..${signature}`,
      `.${payload}.${signature}`,
      `${b64("not json")}.${payload}.${signature}`,
      `${b64([1, 2])}.${payload}.${signature}`,
      `${header}.${payload}.${signature}${"A".repeat(17_000)}`,
      ` ${header}.${payload}.${signature}`,
    ];
    for (const token of malformed)
      expect(refused(await (verifiers.rs as Verifier).verify(token)), token.slice(0, 40)).toBe("malformed");
    expect(refused(await (verifiers.rs as Verifier).verify(undefined as unknown as string))).toBe("malformed");
  });
});

describe("header and claim checks", () => {
  const cases: [string, Parameters<typeof signed>[1], string][] = [
    ["typ JWT", { header: { typ: "JWT" } }, "type"],
    ["no typ", { header: { typ: undefined } }, "type"],
    ["typ at+jwt with junk", { header: { typ: "at+jwt; x" } }, "type"],
    ["crit", { header: { crit: ["exp"], exp: 1 } }, "critical_header"],
    ["crit b64", { header: { crit: ["b64"], b64: true } }, "critical_header"],
    ["another issuer", { claims: { iss: "https://evil.example/t/rs" } }, "issuer_mismatch"],
    ["issuer with a trailing slash", { claims: { iss: "ISSUER/" } }, "issuer_mismatch"],
    ["another audience", { claims: { aud: "https://other.example" } }, "audience"],
    ["audience list without us", { claims: { aud: ["a", "b"] } }, "audience"],
    ["no audience", { drop: ["aud"] }, "audience"],
    ["expired beyond the skew", { claims: { exp: now() - 61 } }, "expired"],
    ["nbf beyond the skew", { claims: { nbf: now() + 120 } }, "not_yet_valid"],
    ["iat in the future", { claims: { iat: now() + 120 } }, "issued_in_future"],
    ["exp missing", { drop: ["exp"] }, "missing_claim"],
    ["exp a string", { claims: { exp: String(now() + 600) } }, "invalid_claim"],
    ["iat missing", { drop: ["iat"] }, "missing_claim"],
    ["sub missing", { drop: ["sub"] }, "missing_claim"],
    ["jti missing", { drop: ["jti"] }, "missing_claim"],
    ["client_id missing", { drop: ["client_id"] }, "missing_claim"],
    ["sub a number", { claims: { sub: 42 } }, "invalid_claim"],
    ["scope a list", { claims: { scope: ["openid"] } }, "invalid_claim"],
    ["amr a string", { claims: { amr: "pwd" } }, "invalid_claim"],
    ["auth_time a string", { claims: { auth_time: "yesterday" } }, "invalid_claim"],
  ];
  it.each(cases)("refuses %s", async (_, change, reason) => {
    const fixed = change?.claims?.iss === "ISSUER/" ? { ...change, claims: { iss: `${h.issuer("rs")}/` } } : change;
    expect(refused(await (verifiers.rs as Verifier).verify(await signed("rs", fixed)))).toBe(reason);
  });

  it("refuses tokens lacking the claims a service requires", async () => {
    const strict = createVerifier({ issuer: h.issuer("rs"), audience: h.issuer("rs"), requiredClaims: ["sid", "tid"] });
    expect((await strict.verify(tok("rs"))).ok).toBe(true);
    expect(refused(await strict.verify(await signed("rs", { drop: ["sid"] })))).toBe("missing_claim");
  });

  it("applies the configured skew and algorithm allowlist", async () => {
    const tight = createVerifier({ issuer: h.issuer("rs"), audience: h.issuer("rs"), clockToleranceSeconds: 0 });
    expect(refused(await tight.verify(await signed("rs", { claims: { exp: now() - 2 } })))).toBe("expired");
    const onlyEs = createVerifier({ issuer: h.issuer("rs"), audience: h.issuer("rs"), algorithms: ["ES256"] });
    expect(refused(await onlyEs.verify(tok("rs")))).toBe("algorithm");
  });

  it("names another tenant's token for what it is, without fetching keys for it", async () => {
    // Same service, same JWKS host, another issuer: its kid is not in this tenant's set either.
    const fresh = createVerifier({ issuer: h.issuer("rs") });
    expect((await fresh.verify(tok("rs"))).ok).toBe(true);
    const fetched = fresh.stats().jwksFetches;
    for (const other of ["es", "ed", "aud"]) {
      expect(await fresh.verify(tok(other))).toMatchObject({
        ok: false,
        error: "invalid_token",
        reason: "issuer_mismatch",
        description: expect.stringContaining(h.issuer("rs")),
      });
    }
    expect(fresh.stats().jwksFetches).toBe(fetched);
  });

  it("takes the issuer as the audience when none is given (the authority's default)", async () => {
    const byDefault = createVerifier({ issuer: h.issuer("rs") });
    expect(byDefault.audiences).toEqual([h.issuer("rs")]);
    expect((await byDefault.verify(tok("rs"))).ok).toBe(true);
    // A tenant with its own audience needs it named: the issuer is not in its tokens' aud.
    expect(refused(await createVerifier({ issuer: h.issuer("aud") }).verify(tok("aud")))).toBe("audience");
  });

  it("refuses options that would weaken it", () => {
    const base = { issuer: h.issuer("rs"), audience: h.issuer("rs") };
    expect(SUPPORTED_ALGORITHMS).toEqual(["RS256", "ES256", "EdDSA"]);
    expect(() => createVerifier({ ...base, algorithms: ["HS256" as never] })).toThrow(TypeError);
    expect(() => createVerifier({ ...base, algorithms: ["none" as never] })).toThrow(TypeError);
    expect(() => createVerifier({ ...base, algorithms: [] })).toThrow(TypeError);
    expect(() => createVerifier({ ...base, clockToleranceSeconds: 301 })).toThrow(RangeError);
    expect(() => createVerifier({ ...base, clockToleranceSeconds: -1 })).toThrow(RangeError);
    expect(() => createVerifier({ ...base, audience: [] })).toThrow(TypeError);
    expect(() => createVerifier({ ...base, jwksUrl: "http://keys.example.com/jwks.json" })).toThrow(TypeError);
    expect(() => createVerifier({ ...base, checkRevocation: "introspect" })).toThrow(TypeError);
    expect(() => createVerifier({ ...base, jwks: { cooldownSeconds: 0 } })).toThrow(RangeError);
  });

  it("uses only JWKS keys whose type and curve fit their algorithm", async () => {
    // A JWKS mixing usable and unusable entries: only the real RS256 key may verify.
    const real = (await h.api.jwks("rs")).keys;
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" });
    const hostile = [
      { ...rsa, kid: "short-rsa", alg: "RS256" },
      { kty: "oct", k: "c2VjcmV0", kid: "hmac", alg: "HS256" },
      { ...real[0], kid: "enc", use: "enc" },
      { ...real[0], kid: "as-es", alg: "ES256" },
    ];
    const fake = async () => Response.json({ keys: [...real, ...hostile] });
    const verifier = createVerifier({ issuer: h.issuer("rs"), audience: h.issuer("rs"), fetch: fake });
    expect((await verifier.verify(tok("rs"))).ok).toBe(true);
    const claims = decodeJwt(tok("rs"));
    const hmac = `${b64({ alg: "HS256", kid: "hmac", typ: "at+jwt" })}.${b64(claims)}`;
    const forged = `${hmac}.${createHmac("sha256", "secret").update(hmac).digest("base64url")}`;
    expect(refused(await verifier.verify(forged))).toBe("algorithm");
  });
});
