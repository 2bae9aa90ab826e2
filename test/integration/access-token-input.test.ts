/**
 * Access tokens an attacker shapes, through the whole app on real Postgres
 * and Redis: claims of the wrong type or shape under the tenant's own key
 * (as if that key had signed them), and a valid token's text written
 * otherwise (RFC 7515 §2). Each is `invalid_token` on bearer routes and
 * `{active: false}` at introspection, never a 500, and each request keeps its
 * one log line.
 */
import type { JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, decode, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { recordingLogger } from "../support/recorders.js";

let t: TestApp;
let session: TokenBody;
let claims: JWTPayload;
const { logger, lines } = recordingLogger();
let n = 0;

beforeAll(async () => {
  t = await startTestApp({ logger });
  await appClient(t).createTenant("shapes");
  session = (await (await appClient(t).signup("shapes", "shaped@example.com")).json()) as TokenBody;
  claims = decode(session.access_token).claims;
});
afterAll(async () => {
  await t.close();
});

/** Signs claims with the tenant's real active key, as its own tokens are. */
async function signed(payload: JWTPayload): Promise<string> {
  const signer = await t.services.keyRing.signer(await t.services.tenants.require("shapes"));
  return signer.sign({ typ: "at+jwt" }, { ...payload });
}

/** A bearer request with its own request id, and that request's `request` log lines. */
async function bearer(path: "me" | "sessions", token: string) {
  const id = `shape-${++n}`;
  const response = await t.app.request(`/t/shapes/v1/${path}`, {
    headers: { Authorization: `Bearer ${token}`, "X-Request-Id": id },
  });
  const logged = lines.filter((l) => l.event === "request" && l.fields.request_id === id);
  return { answer: await readAnswer(response), logged };
}

async function introspect(token: string) {
  const response = await t.app.request("/t/shapes/v1/introspect", {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ token }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** Refused everywhere a token is read, as a bad signature is. */
async function refusedEverywhere(token: string) {
  for (const path of ["me", "sessions"] as const) {
    const { answer, logged } = await bearer(path, token);
    expectProblem(answer, 401, "invalid_token");
    expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
    expect(logged.map((l) => l.fields.status)).toEqual([401]);
  }
  expect(await introspect(token)).toEqual({ active: false });
}

describe("claims the service does not issue, under the tenant's own key", () => {
  it("takes the same claims re-signed (the forging helper is sound)", async () => {
    expect((await bearer("me", await signed(claims))).answer.status).toBe(200);
    expect(await introspect(await signed(claims))).toMatchObject({ active: true, sub: claims.sub });
  });

  it.each([
    ["sub", 5],
    ["sub", {}],
    ["sub", ""],
    ["sub", "not-a-uuid'"],
    ["sid", 5],
    ["sid", "x'"],
    ["scope", ["openid", "admin"]],
    ["scope", 5],
  ])("refuses %s = %j", async (name, value) => {
    await refusedEverywhere(await signed({ ...claims, [name]: value }));
  });

  it("refuses iat in the future, and exp of 1e300 or a fraction of a second", async () => {
    const iat = claims.iat as number;
    for (const change of [{ iat: iat + 3600 }, { exp: 1e300 }, { exp: iat + 300.5 }]) {
      await refusedEverywhere(await signed({ ...claims, ...change }));
    }
  });

  it("revokes nothing for such a token, with the 200 any token gets (RFC 7009 §2.2)", async () => {
    for (const change of [{ sid: "x'" }, { exp: 1e300 }]) {
      const response = await t.app.request("/t/shapes/v1/revoke", {
        method: "POST",
        headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, "Content-Type": "application/json" },
        body: JSON.stringify({ token: await signed({ ...claims, ...change }) }),
      });
      expect(response.status).toBe(200);
    }
    expect((await bearer("me", session.access_token)).answer.status).toBe(200);
  });
});

describe("a valid token's text written otherwise (RFC 7515 §2: unpadded base64url, no whitespace)", () => {
  /** UserInfo takes the token in a form body too (RFC 6750 §2.2), where any character can travel. */
  const userinfo = (token: string) =>
    t.app.request("/t/shapes/v1/userinfo", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ access_token: token }).toString(),
    });

  it("refuses padding, whitespace inside a segment and a last character with spare bits set", async () => {
    const token = session.access_token;
    const [header, payload, signature] = token.split(".") as [string, string, string];
    // The RS256 signature (256 bytes, 342 characters) leaves 4 spare bits in its last character.
    const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const flipped = ALPHABET[ALPHABET.indexOf(signature.at(-1) as string) ^ 1] as string;
    // What an Authorization header can carry (no space inside the credential, no newline)...
    const inHeader = [
      `${token}==`,
      `${header}.${payload}.${signature.slice(0, 5)}\t${signature.slice(5)}`,
      `${header}.${payload}.${signature.slice(0, -1)}${flipped}`,
    ];
    // ...and what a body can.
    const inBody = [
      ...inHeader,
      `${header}.${payload}.${signature.slice(0, 8)} ${signature.slice(8)}`,
      `${header}.${payload}.${signature.slice(0, 20)}\n${signature.slice(20)}`,
    ];
    expect((await bearer("me", token)).answer.status).toBe(200);
    expect((await userinfo(token)).status).toBe(200);
    expect(await introspect(token)).toMatchObject({ active: true });
    for (const variant of inHeader) {
      const { answer } = await bearer("me", variant);
      expectProblem(answer, 401, "invalid_token");
      expect(answer.json.detail).toBe("The token is malformed.");
    }
    for (const variant of inBody) {
      const answer = await readAnswer(await userinfo(variant));
      expectProblem(answer, 401, "invalid_token");
      expect(answer.json.detail).toBe("The token is malformed.");
      expect(await introspect(variant)).toEqual({ active: false });
    }
  });
});
