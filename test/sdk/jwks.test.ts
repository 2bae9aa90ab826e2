/**
 * The SDK's JWKS handling against the real service: one fetch, freshness from
 * Cache-Control with ETag revalidation, stale-while-revalidate, keys served
 * from memory while the endpoint is down (up to the stale bound), exactly one
 * refetch for an unknown kid under load and a cooldown after it, rotation of
 * the service's signing key while verifications run, and the shared Cache API
 * copy for fresh isolates. Time is moved with the verifier's `now` (tokens
 * stay valid: they live 10 minutes).
 */
import { createVerifier, type EdgeCache, type Verifier } from "@authority/sdk";
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { countingFetch, type SdkHarness, type Signed, startSdkHarness } from "./support.js";

let h: SdkHarness;
let user: Signed;
let tenants = 0;

beforeAll(async () => {
  h = await startSdkHarness();
});
afterAll(async () => {
  await h?.close();
});

/** A fresh tenant (own keys, own JWKS counter) and a user's tokens. */
async function tenant(extra: Record<string, unknown> = {}): Promise<string> {
  const slug = `jwks${++tenants}`;
  await h.api.createTenant(slug, extra);
  user = await h.signup(slug);
  return slug;
}

/** A clock the test moves: real time plus an offset. */
function clock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (seconds: number) => (offset += seconds * 1000) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let foreign: Promise<CryptoKeyPair> | undefined;
/** A token signed by a key the issuer never published, under `kid` (default: the key's own thumbprint). */
async function foreignToken(kid?: string) {
  foreign ??= generateKeyPair("RS256", { extractable: true });
  const { privateKey, publicKey } = await foreign;
  const chosen = kid ?? (await calculateJwkThumbprint(await exportJWK(publicKey)));
  return new SignJWT(decodeJwt(user.access_token))
    .setProtectedHeader({ alg: "RS256", kid: chosen, typ: "at+jwt" })
    .sign(privateKey);
}

function verifierFor(slug: string, extra: Partial<Parameters<typeof createVerifier>[0]> = {}): Verifier {
  return createVerifier({ issuer: h.issuer(slug), audience: h.issuer(slug), cache: false, ...extra });
}

describe("caching", () => {
  it("fetches once, keeps the keys for max-age, then revalidates with the ETag (304)", async () => {
    const slug = await tenant();
    const time = clock();
    const verifier = verifierFor(slug, { now: time.now });
    for (let i = 0; i < 50; i++) expect((await verifier.verify(user.access_token)).ok).toBe(true);
    expect(h.jwksCount(slug)).toBe(1);
    const first = h.jwksHits.filter((hit) => hit.tenant === slug);
    expect(first[0]).toMatchObject({ ifNoneMatch: null, status: 200 });

    time.advance(299); // the service says max-age=300
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
    expect(h.jwksCount(slug)).toBe(1);

    time.advance(2);
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
    await sleep(200); // the revalidation runs behind the answer
    const hits = h.jwksHits.filter((hit) => hit.tenant === slug);
    expect(hits).toHaveLength(2);
    expect(hits[0]?.etag).toMatch(/^"[\w-]+"$/);
    expect(hits[1]).toMatchObject({ ifNoneMatch: hits[0]?.etag, status: 304 });
    // Fresh again for another max-age.
    time.advance(200);
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
    expect(h.jwksCount(slug)).toBe(2);
  });

  it("answers from stale keys at once while one refresh runs behind", async () => {
    const slug = await tenant();
    const time = clock();
    let delay = 0;
    const slow = countingFetch(async (input, init) => {
      await sleep(delay);
      return fetch(input, init);
    });
    const verifier = verifierFor(slug, { now: time.now, fetch: slow.fetch });
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
    delay = 800;
    time.advance(400);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(user.access_token)));
    expect(Date.now() - started).toBeLessThan(400);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(slow.count("/jwks.json")).toBe(2); // the first load and one refresh, started by the first stale verification
    await sleep(1_000);
    expect(slow.count("/jwks.json")).toBe(2);
  });

  it("bounds the freshness the endpoint asks for", async () => {
    const slug = await tenant();
    const body = await (await fetch(`${h.issuer(slug)}/.well-known/jwks.json`)).text();
    for (const [cacheControl, minTtl, expectedRefetchAfter] of [
      ["max-age=0", 30, 30],
      ["no-cache", 30, 30],
      ["max-age=31536000", 30, 3600],
      ["", 30, 300],
      ["public, max-age=120", 30, 120],
      ["max-age=5", 10, 10],
    ] as const) {
      const time = clock();
      let calls = 0;
      const fake = async () => {
        calls++;
        return new Response(body, { headers: cacheControl ? { "Cache-Control": cacheControl } : {} });
      };
      const verifier = verifierFor(slug, { now: time.now, fetch: fake, jwks: { minTtlSeconds: minTtl } });
      expect((await verifier.verify(user.access_token)).ok).toBe(true);
      time.advance(expectedRefetchAfter - 1);
      await verifier.verify(user.access_token);
      await sleep(10);
      expect(calls, `${cacheControl} before`).toBe(1);
      time.advance(2);
      await verifier.verify(user.access_token);
      await sleep(10);
      expect(calls, `${cacheControl} after`).toBe(2);
    }
  });
});

describe("JWKS endpoint down", () => {
  it("keeps verifying from the cached keys, retrying at most once per cooldown", async () => {
    const slug = await tenant();
    const time = clock();
    const verifier = verifierFor(slug, { now: time.now });
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
    h.jwksDown = true;
    try {
      time.advance(301);
      for (let i = 0; i < 100; i++) expect((await verifier.verify(user.access_token)).ok).toBe(true);
      await sleep(100);
      const failed = () => h.jwksHits.filter((hit) => hit.tenant === slug && hit.status === 503).length;
      expect(failed()).toBe(1);
      time.advance(20);
      for (let i = 0; i < 20; i++) expect((await verifier.verify(user.access_token)).ok).toBe(true);
      await sleep(100);
      expect(failed()).toBe(1);
      time.advance(11);
      expect((await verifier.verify(user.access_token)).ok).toBe(true);
      await sleep(100);
      expect(failed()).toBe(2);
      // A user who signs up now gets a token from the same (cached) key.
      const later = await h.signup(slug);
      expect((await verifier.verify(later.access_token)).ok).toBe(true);
    } finally {
      h.jwksDown = false;
    }
  });

  it("stops at the stale bound, and fails closed when no keys were ever fetched", async () => {
    const slug = await tenant();
    const time = clock();
    const verifier = verifierFor(slug, { now: time.now, jwks: { maxTtlSeconds: 30, maxStaleSeconds: 60 } });
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
    h.jwksDown = true;
    try {
      time.advance(50);
      expect((await verifier.verify(user.access_token)).ok).toBe(true);
      time.advance(20);
      expect(await verifier.verify(user.access_token)).toMatchObject({
        ok: false,
        error: "temporarily_unavailable",
        reason: "jwks_unavailable",
      });
      const fresh = verifierFor(slug);
      expect(await fresh.verify(user.access_token)).toMatchObject({ ok: false, reason: "jwks_unavailable" });
    } finally {
      h.jwksDown = false;
    }
    time.advance(2);
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
  });

  it("fails closed when the endpoint cannot be reached at all", async () => {
    const slug = await tenant();
    const verifier = createVerifier({
      issuer: h.issuer(slug),
      audience: h.issuer(slug),
      jwksUrl: "http://127.0.0.1:9/jwks.json",
      jwks: { timeoutMs: 500 },
    });
    expect(await verifier.verify(user.access_token)).toMatchObject({ ok: false, error: "temporarily_unavailable" });
  });
});

describe("unknown kid", () => {
  it("200 concurrent verifications cause exactly one refetch, and the cooldown holds", async () => {
    const slug = await tenant();
    const time = clock();
    const counting = countingFetch();
    const verifier = verifierFor(slug, { now: time.now, fetch: counting.fetch });
    expect((await verifier.verify(user.access_token)).ok).toBe(true);
    expect(counting.count("/jwks.json")).toBe(1);
    const serverBefore = h.jwksCount(slug);

    // Within the cooldown of the first fetch: no request at all.
    const unknown = await foreignToken();
    expect(await verifier.verify(unknown)).toMatchObject({ ok: false, reason: "unknown_key" });
    expect(counting.count("/jwks.json")).toBe(1);

    time.advance(31);
    const tokens = await Promise.all(
      Array.from({ length: 10 }, (_, i) => foreignToken(i === 0 ? undefined : `kid-${i}`)),
    );
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => verifier.verify(tokens[i % 10] as string)));
    expect(results.every((r) => !r.ok && r.reason === "unknown_key")).toBe(true);
    expect(counting.count("/jwks.json")).toBe(2);
    expect(h.jwksCount(slug)).toBe(serverBefore + 1);

    // A flood of random kids within the cooldown: still nothing.
    time.advance(20);
    const flood = await Promise.all(Array.from({ length: 200 }, (_, i) => foreignToken(`random-${i}`)));
    await Promise.all(flood.map((token) => verifier.verify(token)));
    expect(counting.count("/jwks.json")).toBe(2);
    // Known keys keep working meanwhile, without requests.
    expect((await verifier.verify(user.access_token)).ok).toBe(true);

    time.advance(11);
    await Promise.all(flood.map((token) => verifier.verify(token)));
    expect(counting.count("/jwks.json")).toBe(3);
    expect(verifier.stats().jwksFetches).toBe(3);
  });
});

describe("rotation of the service's signing key", () => {
  it("keeps verifying without a single failure while the key rotates three times", async () => {
    const slug = await tenant();
    const time = clock();
    const verifier = verifierFor(slug, { now: time.now });
    const rotate = async () => {
      const response = await fetch(`${h.issuer(slug)}/v1/admin/signing-keys/rotate`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { active_kid: string; next_kid: string };
    };
    const seen: string[] = [];
    const kids = new Set<string>();
    let failures = 0;
    let verified = 0;
    let running = true;
    const old: string[] = [];
    // Four clients: each refreshes its session (a token from the key active right now) and verifies it and an older one.
    const sessions = await Promise.all(Array.from({ length: 4 }, () => h.signup(slug)));
    const loops = sessions.map(async (session) => {
      let token = session.refresh_token;
      while (running) {
        const response = await h.api.refresh(slug, token);
        if (response.status !== 200) throw new Error(`refresh: ${response.status} ${await response.text()}`);
        const body = (await response.json()) as { access_token: string; refresh_token: string };
        token = body.refresh_token;
        kids.add(JSON.parse(Buffer.from(body.access_token.split(".")[0] as string, "base64url").toString()).kid);
        old.push(body.access_token);
        for (const candidate of [body.access_token, old[Math.floor(Math.random() * old.length)] as string]) {
          const result = await verifier.verify(candidate);
          verified++;
          if (!result.ok) {
            failures++;
            seen.push(`${result.reason}: ${result.description}`);
          }
        }
      }
    });
    const rotated = [];
    for (let i = 0; i < 3; i++) {
      await sleep(300);
      rotated.push(await rotate());
      await sleep(300);
      time.advance(31); // one cooldown between rotations; tokens stay valid
    }
    await sleep(300);
    running = false;
    await Promise.all(loops);
    expect(seen).toEqual([]);
    expect(failures).toBe(0);
    expect(verified).toBeGreaterThan(50);
    // Tokens of every active key were verified: the original one and the three rotated in.
    for (const r of rotated) expect(kids.has(r.active_kid)).toBe(true);
    expect(kids.size).toBe(4);
    // The first load; the first rotation needs no refetch (its key was published as next); the second
    // does (one, for the first token of the new key), and that fetch already brings the third's key.
    expect(verifier.stats().jwksFetches).toBe(2);
  });
});

describe("Cache API copy (Workers' caches.default, injected here)", () => {
  function memoryCache(): EdgeCache & { puts: number; entries: Map<string, Response> } {
    const entries = new Map<string, Response>();
    const cache = {
      puts: 0,
      entries,
      async match(request: Request) {
        return entries.get(request.url)?.clone();
      },
      async put(request: Request, response: Response) {
        cache.puts++;
        entries.set(request.url, response.clone());
      },
    };
    return cache;
  }

  it("lets a fresh isolate take the keys without a request, and revalidate when stale", async () => {
    const slug = await tenant();
    const time = clock();
    const cache = memoryCache();
    const counting = countingFetch();
    const first = verifierFor(slug, { now: time.now, fetch: counting.fetch, cache });
    expect((await first.verify(user.access_token)).ok).toBe(true);
    expect(counting.count("/jwks.json")).toBe(1);
    expect(cache.puts).toBe(1);
    const stored = cache.entries.get(`${h.issuer(slug)}/.well-known/jwks.json`) as Response;
    expect(stored.headers.get("cache-control")).toBe("public, max-age=86400");

    // Ten "isolates" starting later: none asks the endpoint.
    time.advance(60);
    for (let i = 0; i < 10; i++) {
      const isolate = verifierFor(slug, { now: time.now, fetch: counting.fetch, cache });
      expect((await isolate.verify(user.access_token)).ok).toBe(true);
    }
    expect(counting.count("/jwks.json")).toBe(1);

    // Past max-age: a new isolate answers from the stale copy and refreshes it behind (one 304).
    time.advance(250);
    const late = verifierFor(slug, { now: time.now, fetch: counting.fetch, cache });
    expect((await late.verify(user.access_token)).ok).toBe(true);
    await sleep(200);
    expect(counting.count("/jwks.json")).toBe(2);
    expect(cache.puts).toBe(2);
    const another = verifierFor(slug, { now: time.now, fetch: counting.fetch, cache });
    expect((await another.verify(user.access_token)).ok).toBe(true);
    expect(counting.count("/jwks.json")).toBe(2);
  });

  it("serves a stale copy to new isolates while the endpoint is down", async () => {
    const slug = await tenant();
    const time = clock();
    const cache = memoryCache();
    expect((await verifierFor(slug, { now: time.now, cache }).verify(user.access_token)).ok).toBe(true);
    h.jwksDown = true;
    try {
      time.advance(400);
      const isolate = verifierFor(slug, { now: time.now, cache });
      for (let i = 0; i < 5; i++) expect((await isolate.verify(user.access_token)).ok).toBe(true);
    } finally {
      h.jwksDown = false;
    }
  });

  it("shares an unknown-kid refetch made by another isolate", async () => {
    const slug = await tenant();
    const time = clock();
    const cache = memoryCache();
    const counting = countingFetch();
    const a = verifierFor(slug, { now: time.now, fetch: counting.fetch, cache });
    const b = verifierFor(slug, { now: time.now, fetch: counting.fetch, cache });
    expect((await a.verify(user.access_token)).ok).toBe(true);
    expect((await b.verify(user.access_token)).ok).toBe(true);
    expect(counting.count("/jwks.json")).toBe(1);
    // Two rotations: the second active key was never in the cached set.
    for (let i = 0; i < 2; i++) {
      await fetch(`${h.issuer(slug)}/v1/admin/signing-keys/rotate`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      });
    }
    const rotated = await h.signup(slug);
    time.advance(31);
    expect((await a.verify(rotated.access_token)).ok).toBe(true);
    expect(counting.count("/jwks.json")).toBe(2);
    // b finds a's newer copy in the cache: no request of its own.
    expect((await b.verify(rotated.access_token)).ok).toBe(true);
    expect(counting.count("/jwks.json")).toBe(2);
  });
});
