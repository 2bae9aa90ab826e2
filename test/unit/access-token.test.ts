import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tenant } from "../../src/core/ports/database.js";
import { InvalidTokenError } from "../../src/core/tokens/access-token.js";
import { startKeyRing } from "../support/key-ring.js";

let h: Awaited<ReturnType<typeof startKeyRing>>;
let tenant: Tenant;
let other: Tenant;
let good: string;
let claims: JWTPayload;

const subject = {
  userId: "9b1f7a52-9c2e-4f55-8a43-4f4c3c1c9d01",
  sessionId: "3c0b8f2e-8f1c-4d49-9a3f-0d7e0b7f2a11",
  clientId: "first-party",
  scope: "openid",
  amr: ["pwd"],
};

beforeAll(async () => {
  h = await startKeyRing();
  tenant = await h.tenant("verify");
  other = await h.tenant("elsewhere");
  const issued = await h.tokens.issue(tenant, { ...subject, authTime: h.clock.now() });
  good = issued.token;
  claims = issued.claims as unknown as JWTPayload;
});
afterAll(async () => {
  await h.close();
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function rejects(token: string, reason: RegExp) {
  const error = await h.tokens.verify(tenant, token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect((error as InvalidTokenError).reason).toMatch(reason);
}

/** Signs arbitrary claims and header with the tenant's real active key. */
async function signWithRealKey(payload: JWTPayload, header: Record<string, unknown> = {}) {
  const signer = await h.keyRing.signer(tenant);
  const input = `${b64({ alg: signer.alg, kid: signer.kid, typ: "at+jwt", ...header })}.${b64(payload)}`;
  return `${input}.${Buffer.from(await signer.signature(new TextEncoder().encode(input))).toString("base64url")}`;
}

describe("access token verification", () => {
  it("accepts a token it issued", async () => {
    expect(await h.tokens.verify(tenant, good)).toMatchObject({ sub: subject.userId, sid: subject.sessionId });
  });

  it("accepts a freshly signed token with the same claims (the forging helper is sound)", async () => {
    expect(await h.tokens.verify(tenant, await signWithRealKey(claims))).toMatchObject({ jti: claims.jti });
  });

  it("rejects alg none", async () => {
    const kid = (await h.keyRing.signer(tenant)).kid;
    await rejects(`${b64({ alg: "none", typ: "at+jwt", kid })}.${b64(claims)}.`, /algorithm is not allowed/);
  });

  it("rejects HS256 keyed with the tenant's public key (algorithm confusion)", async () => {
    const signer = await h.keyRing.signer(tenant);
    const jwk = (await h.keyRing.published(tenant)).find((k) => k.kid === signer.kid)?.publicJwk;
    const secret = new TextEncoder().encode(JSON.stringify(jwk));
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: signer.kid, typ: "at+jwt" })
      .sign(secret);
    await rejects(forged, /algorithm is not allowed/);
  });

  it("rejects a token naming an algorithm other than its key's", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const kid = (await h.keyRing.signer(tenant)).kid;
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" }).sign(privateKey);
    await rejects(forged, /does not match its key/);
  });

  it("rejects an unknown kid and never uses a key carried in the header", async () => {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const jwk = await exportJWK(publicKey);
    for (const header of [
      { kid: "attacker" },
      { kid: "attacker", jwk },
      { kid: "attacker", jku: "https://evil.example/jwks.json" },
      { kid: "attacker", x5u: "https://evil.example/cert.pem" },
    ]) {
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", typ: "at+jwt", ...header })
        .sign(privateKey);
      await rejects(forged, /not one of this tenant's/);
    }
  });

  it("rejects an attacker's signature under the tenant's real kid", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const kid = (await h.keyRing.signer(tenant)).kid;
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid, typ: "at+jwt" }).sign(privateKey);
    await rejects(forged, /not valid/);
  });

  it("rejects a token signed with another tenant's key", async () => {
    const foreign = await h.tokens.issue(other, { ...subject, authTime: h.clock.now() });
    await rejects(foreign.token, /not one of this tenant's/);
  });

  it("rejects a token with another tenant's id, even when signed with this tenant's key", async () => {
    await rejects(await signWithRealKey({ ...claims, tid: other.id }), /another tenant/);
  });

  it.each([
    [{ iss: "https://auth.test/t/elsewhere" }, /not valid/],
    [{ aud: "https://someone-else.example" }, /not valid/],
    [{ sid: undefined }, /not valid/],
    [{ jti: undefined }, /not valid/],
  ])("rejects wrong or missing claims %j", async (change, reason) => {
    await rejects(await signWithRealKey({ ...claims, ...change }), reason);
  });

  it.each([["JWT"], ["jwt"], [undefined]])("rejects typ %s", async (typ) => {
    await rejects(await signWithRealKey(claims, { typ }), /not an access token/);
  });

  it("accepts typ application/at+jwt (RFC 9068 §4)", async () => {
    expect(await h.tokens.verify(tenant, await signWithRealKey(claims, { typ: "application/at+jwt" }))).toBeTruthy();
  });

  it("rejects critical header parameters it does not understand", async () => {
    // A token with a critical header the verifier does not understand, signed with the real key.
    await rejects(await signWithRealKey({ ...claims, exp2: 1 }, { crit: ["exp2"], exp2: 1 }), /critical/);
  });

  it("allows 5 s of clock skew on exp and nbf, and no more: its own clocks are close", async () => {
    const now = Math.floor(h.clock.now().getTime() / 1000);
    expect(await h.tokens.verify(tenant, await signWithRealKey({ ...claims, exp: now - 4 }))).toBeTruthy();
    await rejects(await signWithRealKey({ ...claims, exp: now - 6 }), /expired/);
    expect(await h.tokens.verify(tenant, await signWithRealKey({ ...claims, nbf: now + 4 }))).toBeTruthy();
    await rejects(await signWithRealKey({ ...claims, nbf: now + 6 }), /not valid/);
  });

  it("rejects its own token seconds after it expires", async () => {
    const issued = await h.tokens.issue(tenant, { ...subject, authTime: h.clock.now() });
    h.clock.advance((600 + 6) * 1000);
    await rejects(issued.token, /expired/);
  });

  describe("claims of other types or shapes than it issues, though signed with the tenant's key", () => {
    const now = () => Math.floor(h.clock.now().getTime() / 1000);
    /** Claims issued now (an earlier test moves the clock past the first token's exp). */
    const fresh = async () =>
      (await h.tokens.issue(tenant, { ...subject, authTime: h.clock.now() })).claims as unknown as JWTPayload;
    it.each([
      ["sub", 5],
      ["sub", {}],
      ["sub", ""],
      ["sub", "not-a-uuid'"],
      ["sid", 5],
      ["sid", "x'"],
      ["sid", null],
      ["jti", 5],
      ["jti", ""],
      ["client_id", 5],
      ["scope", ["openid"]],
      ["scope", 5],
      ["auth_time", "1"],
      ["amr", "mfa"],
      ["amr", [1]],
    ])("rejects %s = %j", async (name, value) => {
      await rejects(
        await signWithRealKey({ ...(await fresh()), [name]: value }),
        new RegExp(`${name} claim is not valid`),
      );
    });

    it("rejects NumericDates that are no whole seconds, iat in the future and a lifetime over the longest", async () => {
      const iat = now();
      for (const change of [
        { exp: 1e300 },
        { exp: iat + 600.5 },
        { exp: iat + 86_401 },
        { iat: iat + 3600 },
        { iat: iat + 6 },
        { iat: iat - 0.5 },
        { nbf: iat - 0.5 },
      ]) {
        await rejects(await signWithRealKey({ ...(await fresh()), ...change }), /(exp|iat|nbf) claim is not valid/);
      }
    });

    it("accepts what it issues: iat within 5 s ahead, a day's lifetime, a client's own token with its client id as sub", async () => {
      const iat = now();
      expect(await h.tokens.verify(tenant, await signWithRealKey({ ...(await fresh()), iat: iat + 4 }))).toBeTruthy();
      expect(
        await h.tokens.verify(tenant, await signWithRealKey({ ...(await fresh()), exp: iat + 86_400 })),
      ).toBeTruthy();
      const client = {
        userId: "c2VjcmV0LWNsaWVudC1pZA",
        sessionId: subject.sessionId,
        clientId: "c2VjcmV0LWNsaWVudC1pZA",
      };
      const own = await h.tokens.issue(tenant, { ...client, scope: "" });
      expect(await h.tokens.verify(tenant, own.token)).toMatchObject({ sub: client.clientId, scope: "" });
      await rejects(await signWithRealKey({ ...own.claims, client_id: "another" }), /sub claim is not valid/);
    });
  });

  it("rejects the text of a valid token written otherwise: padding, whitespace, spare bits (RFC 7515 §2)", async () => {
    const { token } = await h.tokens.issue(tenant, { ...subject, authTime: h.clock.now() });
    expect(await h.tokens.verify(tenant, token)).toBeTruthy();
    const [header, payload, signature] = token.split(".") as [string, string, string];
    // A signature of 64 or 256 bytes (86 or 342 characters) leaves 4 spare bits in its last character.
    const last = signature.at(-1) as string;
    const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const flipped = ALPHABET[ALPHABET.indexOf(last) ^ 1] as string;
    for (const variant of [
      `${token}==`,
      `${header}.${payload}.${signature.slice(0, 4)} ${signature.slice(4)}`,
      `${header}.${payload}.${signature.slice(0, 9)}\n${signature.slice(9)}`,
      `${header}.${payload}.${signature.slice(0, 7)}\t${signature.slice(7)}`,
      `${header}.${payload}.${signature.slice(0, -1)}${flipped}`,
    ]) {
      await rejects(variant, /malformed/);
    }
  });

  it("rejects malformed tokens", async () => {
    for (const token of ["", "abc", "a.b", "a.b.c", `${b64({ alg: "RS256" })}.notjson.sig`, good.replace(/\./g, "")]) {
      await expect(h.tokens.verify(tenant, token)).rejects.toBeInstanceOf(InvalidTokenError);
    }
  });
});
