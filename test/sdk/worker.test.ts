/**
 * The built SDK inside workerd: a tiny Worker (test/sdk/worker/sdk-worker.ts)
 * bundled with the workerd/worker/browser conditions, so `#signature` is the
 * WebCrypto implementation, run by Miniflare without nodejs_compat and
 * verifying tokens of the real service over the loopback network. Checks
 * the Cache API path (a fresh isolate does not refetch the JWKS), the Hono
 * and fetch middleware in workerd, and that Node (node:crypto) and workerd
 * (WebCrypto) reach the same verdict on the same tokens.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createVerifier, type VerifyResult } from "@authority/sdk";
import { decodeJwt, generateKeyPair, SignJWT } from "jose";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { b64, type SdkHarness, type Signed, startSdkHarness, tenantSigned } from "./support.js";
import { bundleSdkWorker, WORKER_COMPATIBILITY } from "./worker/bundle.js";

let h: SdkHarness;
let dir: string;
let script: string;
let mf: Miniflare;
let serviceKey: string;
const users: Record<string, Signed> = {};

beforeAll(async () => {
  h = await startSdkHarness();
  for (const [slug, alg] of [
    ["edge", "RS256"],
    ["edge-es", "ES256"],
    ["edge-ed", "EdDSA"],
  ] as const) {
    await h.api.createTenant(slug, { signing_alg: alg });
    users[slug] = await h.signup(slug);
  }
  serviceKey = (await h.serviceKey("edge", ["api_keys:verify"])).key;
  dir = await mkdtemp(join(tmpdir(), "sdk-worker-"));
  script = await bundleSdkWorker(join(dir, "worker.js"));
  mf = await startWorker("edge");
}, 60_000);
afterAll(async () => {
  await mf?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
  await h?.close();
});

async function startWorker(tenant: string): Promise<Miniflare> {
  const instance = new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: dir,
    ...WORKER_COMPATIBILITY,
    bindings: { ISSUER: h.issuer(tenant), SERVICE_KEY: serviceKey },
  });
  await instance.ready;
  return instance;
}

async function post<T>(worker: Miniflare, path: string, body: unknown): Promise<T> {
  const response = await worker.dispatchFetch(`http://sdk.test${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Verified {
  result: VerifyResult;
  backend: string;
  stats: { jwksFetches: number };
}

describe("the bundle", () => {
  it("holds the WebCrypto implementation and nothing of node:crypto", async () => {
    const code = await readFile(script, "utf8");
    expect(code).not.toMatch(/node:crypto|createPublicKey/);
    expect(code).toContain("crypto.subtle.verify");
  });
});

describe("inside workerd", () => {
  it("verifies the service's tokens with WebCrypto", async () => {
    const verified = await post<Verified>(mf, "/verify", { token: users.edge?.access_token });
    expect(verified.backend).toBe("webcrypto");
    expect(verified.result).toMatchObject({ ok: true, claims: { sub: users.edge?.user.id, iss: h.issuer("edge") } });
  });

  it("takes the JWKS from the Cache API in fresh isolates instead of refetching it", async () => {
    const worker = await startWorker("edge-es");
    try {
      const token = users["edge-es"]?.access_token;
      const before = h.jwksCount("edge-es");
      for (let i = 0; i < 5; i++) {
        const verified = await post<Verified>(worker, "/verify", { token, fresh: true });
        expect(verified.result.ok).toBe(true);
        // Each new verifier finds the keys in caches.default: only the first one fetched.
        expect(verified.stats.jwksFetches).toBe(i === 0 ? 1 : 0);
      }
      expect(h.jwksCount("edge-es")).toBe(before + 1);
      // Without the Cache API, every fresh verifier (isolate) fetches.
      for (let i = 0; i < 3; i++) {
        expect((await post<Verified>(worker, "/verify", { token, fresh: true, cache: "none" })).result.ok).toBe(true);
      }
      expect(h.jwksCount("edge-es")).toBe(before + 4);
    } finally {
      await worker.dispose();
    }
  });

  it("runs the Hono middleware and the fetch wrapper", async () => {
    const token = users.edge?.access_token as string;
    const request = (path: string, authorization?: string) =>
      mf.dispatchFetch(`http://sdk.test${path}`, { headers: authorization ? { Authorization: authorization } : {} });
    for (const prefix of ["/hono", "/fetch"]) {
      const anonymous = await request(`${prefix}/me`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toBe(`Bearer realm="${h.issuer("edge")}"`);
      await anonymous.arrayBuffer();
      const bad = await request(`${prefix}/me`, "Bearer nope");
      expect(bad.status).toBe(401);
      expect(bad.headers.get("www-authenticate")).toContain('error="invalid_token"');
      expect(bad.headers.get("content-type")).toBe("application/problem+json");
      await bad.arrayBuffer();
      const ok = await request(`${prefix}/me`, `Bearer ${token}`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ type: "access_token", subject: users.edge?.user.id });
      const forbidden = await request(`${prefix}/admin`, `Bearer ${token}`);
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers.get("www-authenticate")).toContain('error="insufficient_scope", scope="admin"');
      await forbidden.arrayBuffer();
      // An API key, checked at the service from inside workerd.
      const keyed = await request(`${prefix}/me`, `Bearer ${serviceKey}`);
      expect(keyed.status).toBe(200);
      expect(await keyed.json()).toMatchObject({ type: "api_key", scopes: ["api_keys:verify"] });
    }
  });
});

describe("Node and workerd agree", () => {
  it("give the same verdict on valid, forged and malformed tokens", async () => {
    const base = users.edge?.access_token as string;
    const now = Math.floor(Date.now() / 1000);
    const foreign = await generateKeyPair("RS256");
    const foreignEc = await generateKeyPair("ES256");
    const { kid } = JSON.parse(Buffer.from(base.split(".")[0] as string, "base64url").toString());
    const [header, payload, signature] = base.split(".") as [string, string, string];
    const signed = (change: Parameters<typeof tenantSigned>[3]) => tenantSigned(h, "edge", base, change);
    const corpus: string[] = [
      base,
      users["edge-es"]?.access_token as string, // another issuer's
      await signed({}),
      await signed({ header: { typ: "application/AT+JWT" } }),
      await signed({ header: { typ: "JWT" } }),
      await signed({ header: { crit: ["x"], x: 1 } }),
      await signed({ header: { jku: "http://127.0.0.1:9/jwks", kid: "elsewhere" } }),
      await signed({ claims: { iss: "https://evil.example" } }),
      await signed({ claims: { aud: ["a", "b"] } }),
      await signed({ claims: { exp: now - 120 } }),
      await signed({ claims: { exp: now - 30 } }),
      await signed({ claims: { nbf: now + 120 } }),
      await signed({ claims: { iat: now + 120 } }),
      await signed({ drop: ["sub"] }),
      await signed({ drop: ["exp"] }),
      await signed({ claims: { amr: "pwd" } }),
      await signed({ claims: { name: "ünïcødé ✓" } }),
      `${b64({ alg: "none", kid, typ: "at+jwt" })}.${payload}.`,
      `${b64({ alg: "HS256", kid, typ: "at+jwt" })}.${payload}.${signature.slice(0, 43)}`,
      await new SignJWT(decodeJwt(base))
        .setProtectedHeader({ alg: "RS256", kid, typ: "at+jwt" })
        .sign(foreign.privateKey),
      await new SignJWT(decodeJwt(base))
        .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
        .sign(foreignEc.privateKey),
      `${header}.${b64({ ...decodeJwt(base), sub: "x" })}.${signature}`,
      `${header}.${payload}.${signature.slice(0, -2)}`,
      `${header}.${payload}.${signature}A`,
      `${header}.${payload}`,
      `${header}.${payload}=.${signature}`,
      `${b64("[]")}.${payload}.${signature}`,
      `${Buffer.from([0xff, 0xfe]).toString("base64url")}.${payload}.${signature}`,
      "",
      "x".repeat(20_000),
    ];
    const node = createVerifier({ issuer: h.issuer("edge"), audience: h.issuer("edge") });
    expect(node.backend).toBe("node:crypto");
    const summary = (r: VerifyResult) => (r.ok ? "ok" : `${r.error}/${r.reason}`);
    const onNode = await Promise.all(corpus.map(async (token) => summary(await node.verify(token))));
    const { results, backend } = await post<{ results: VerifyResult[]; backend: string }>(mf, "/verify-many", {
      tokens: corpus,
    });
    expect(backend).toBe("webcrypto");
    expect(results.map(summary)).toEqual(onNode);
    // The corpus covers both verdicts and many reasons.
    expect(onNode.filter((v) => v === "ok").length).toBeGreaterThanOrEqual(4);
    expect(new Set(onNode).size).toBeGreaterThanOrEqual(10);
  });

  it.each(["edge-es", "edge-ed"])("agree on %s tokens", async (slug) => {
    const worker = await startWorker(slug);
    try {
      const token = users[slug]?.access_token as string;
      const [header, payload, signature] = token.split(".") as [string, string, string];
      const tampered = `${header}.${payload}.${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
      const corpus = [token, tampered, await tenantSigned(h, slug, token, { claims: { exp: 1 } })];
      const node = createVerifier({ issuer: h.issuer(slug), audience: h.issuer(slug) });
      const onNode = await Promise.all(corpus.map((t) => node.verify(t)));
      const { results } = await post<{ results: VerifyResult[] }>(worker, "/verify-many", { tokens: corpus });
      const strip = (r: VerifyResult) => (r.ok ? { ok: true, claims: r.claims } : r);
      expect(results.map(strip)).toEqual(onNode.map(strip));
      expect(onNode.map((r) => r.ok)).toEqual([true, false, false]);
    } finally {
      await worker.dispose();
    }
  });
});
