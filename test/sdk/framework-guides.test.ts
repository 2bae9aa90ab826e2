/**
 * The SDK's framework guides (sdk/docs/*.md) run as written: their code is
 * taken from the Markdown (test/sdk/guides/snippets.ts), compiled by tsc as
 * the reader's project would, and run against the real service with
 * AUTH_ISSUER pointing at one of its tenants. Hono, Express and Fastify run
 * as Node processes on a port; the Next.js proxy is called with a
 * NextRequest as Next.js would, and its headers fed to the route handler;
 * the Worker is bundled as wrangler would and run in workerd (Miniflare).
 * Each one: no token 401 (challenge without error code), a bad token or
 * another tenant's 401 invalid_token, a user's token 200 with its subject,
 * a missing scope 403.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/ports.js";
import { compileGuides, consumerFolder, GUIDES_DIR, snippetsOf } from "./guides/snippets.js";
import { type SdkHarness, type Signed, startSdkHarness } from "./support.js";

const TENANT = "guides";
const NODE_GUIDES = ["hono", "express", "fastify"];
let h: SdkHarness;
let dir: string;
let user: Signed;
let stranger: Signed;
let compiled: Record<string, Record<string, string>>;
const children: ChildProcess[] = [];
/** Where each Node guide's server listens, once started. */
const bases: Record<string, string> = {};

beforeAll(async () => {
  h = await startSdkHarness();
  await h.api.createTenant(TENANT);
  await h.api.createTenant(`${TENANT}-other`);
  user = await h.signup(TENANT);
  stranger = await h.signup(`${TENANT}-other`);
  dir = await mkdtemp(join(tmpdir(), "sdk-guides-"));
  await consumerFolder(dir);
  compiled = {
    ...(await compileGuides(dir, "node", NODE_GUIDES)),
    ...(await compileGuides(dir, "next", ["nextjs"])),
    ...(await compileGuides(dir, "workers", ["cloudflare-workers"])),
  };
}, 180_000);
afterAll(async () => {
  for (const child of children) child.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
  await h?.close();
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const realm = () => `Bearer realm="${h.issuer(TENANT)}"`;

/** The refusals and the pass every guide's protected route must give. */
async function expectProtected(call: (headers: Record<string, string>) => Promise<Response>) {
  const none = await call({});
  expect(none.status).toBe(401);
  expect(none.headers.get("www-authenticate")).toBe(realm());
  expect(none.headers.get("content-type")).toContain("application/problem+json");
  for (const token of ["not-a-token", stranger.access_token]) {
    const refused = await call(bearer(token));
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(await refused.json()).toMatchObject({ status: 401, code: "invalid_token" });
  }
  const passed = await call(bearer(user.access_token));
  expect(passed.status, await passed.clone().text()).toBe(200);
  return passed;
}

describe("the guides", () => {
  it("are all tested here, each with its code in ts blocks naming their files", async () => {
    const guides = (await readdir(GUIDES_DIR)).filter((f) => f.endsWith(".md")).map((f) => f.replace(/\.md$/, ""));
    const references = ["verifying-tokens", "client"];
    expect(guides.filter((g) => !references.includes(g)).sort()).toEqual(
      [...NODE_GUIDES, "nextjs", "cloudflare-workers"].sort(),
    );
    for (const guide of [...NODE_GUIDES, "nextjs", "cloudflare-workers"]) {
      expect((await snippetsOf(guide)).length, guide).toBeGreaterThan(0);
    }
  });
});

describe.each(NODE_GUIDES)("the %s guide's server", (guide) => {
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    const child = spawn(process.execPath, [compiled[guide]?.["server.ts"] as string], {
      env: { ...process.env, AUTH_ISSUER: h.issuer(TENANT), PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    child.stdout?.on("data", (chunk) => (output += chunk));
    child.stderr?.on("data", (chunk) => (output += chunk));
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`${guide} exited: ${output}`);
      const up = await fetch(`${base}/hello`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (i > 200) throw new Error(`${guide} did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(output).toContain(`listening on http://localhost:${port}`);
    bases[guide] = base;
  }, 30_000);

  it("protects /api/me: 401 without or with a bad token, 200 with the user's", async () => {
    const passed = await expectProtected((headers) => fetch(`${base}/api/me`, { headers }));
    expect(await passed.json()).toEqual({ user: user.user.id });
  });

  it("answers 403 insufficient_scope on /api/admin for a user without the scope", async () => {
    const response = await fetch(`${base}/api/admin`, { headers: bearer(user.access_token) });
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe(`${realm()}, error="insufficient_scope", scope="admin"`);
  });
});

describe("the Hono guide's optional auth", () => {
  it("lets anonymous callers through /hello, but not bad tokens", async () => {
    const base = bases.hono as string;
    expect(await (await fetch(`${base}/hello`)).json()).toEqual({ hello: "stranger" });
    const named = await fetch(`${base}/hello`, { headers: bearer(user.access_token) });
    expect(await named.json()).toEqual({ hello: user.user.id });
    const bad = await fetch(`${base}/hello`, { headers: bearer("not-a-token") });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});

describe("the Next.js guide's proxy and route handler", () => {
  type Proxy = (request: NextRequest, event: { waitUntil(p: Promise<unknown>): void }) => Promise<Response>;
  let proxy: Proxy;
  let config: { matcher: string };
  let GET: (request: Request) => Response;
  const event = { waitUntil: (_: Promise<unknown>) => undefined };

  beforeAll(async () => {
    // The guide reads the issuer from the environment (.env.local) when the module loads.
    process.env.AUTH_ISSUER = h.issuer(TENANT);
    ({ proxy, config } = await import(pathToFileURL(compiled.nextjs?.["proxy.ts"] as string).href));
    ({ GET } = await import(pathToFileURL(compiled.nextjs?.["app/api/me/route.ts"] as string).href));
  });

  it("matches /api routes", () => {
    expect(config.matcher).toBe("/api/:path*");
  });

  it("refuses without or with a bad token, and passes the user on to the route in place of a forged header", async () => {
    const passed = await expectProtected((headers) =>
      proxy(
        new NextRequest("http://localhost:3000/api/me", { headers: { ...headers, "x-auth-subject": "forged" } }),
        event,
      ),
    );
    // NextResponse.next({ request: { headers } }): Next.js carries the new request headers this way.
    expect(passed.headers.get("x-middleware-next")).toBe("1");
    const subject = passed.headers.get("x-middleware-request-x-auth-subject");
    expect(subject).toBe(user.user.id);
    const routed = GET(
      new Request("http://localhost:3000/api/me", { headers: { "x-auth-subject": subject as string } }),
    );
    expect(await routed.json()).toEqual({ user: user.user.id });
  });
});

describe("the Cloudflare Workers guide's Worker", () => {
  let mf: Miniflare;

  beforeAll(async () => {
    const script = join(dir, "worker.js");
    // As wrangler bundles: esbuild with the Workers conditions (the SDK's WebCrypto implementation).
    await build({
      entryPoints: [compiled["cloudflare-workers"]?.["src/index.ts"] as string],
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      conditions: ["workerd", "worker", "browser"],
      mainFields: ["browser", "module", "main"],
      outfile: script,
      logLevel: "warning",
    });
    mf = new Miniflare({
      modules: true,
      scriptPath: script,
      modulesRoot: dir,
      compatibilityDate: "2026-04-26",
      bindings: { AUTH_ISSUER: h.issuer(TENANT) },
    });
    await mf.ready;
  }, 60_000);
  afterAll(async () => {
    await mf?.dispose();
  });

  it("refuses without or with a bad token, and answers the user with a valid one", async () => {
    const passed = await expectProtected(
      async (headers) => (await mf.dispatchFetch("http://worker.test/reports", { headers })) as unknown as Response,
    );
    expect(await passed.json()).toEqual({ path: "/reports", user: user.user.id, scopes: expect.any(Array) });
  });
});
