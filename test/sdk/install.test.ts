/**
 * `npm install /path/to/authority/sdk`, the first command of sdk/README.md's
 * "Install" (taken from the Markdown), into a fresh application, from a
 * clone in both states a user may have it in: with the repository's
 * dependencies installed (`npm ci` ran: the SDK builds with the repository's
 * TypeScript) and without (its `prepare` installs its own build tools into
 * sdk/node_modules). Either way npm links the clone, `dist/` gets built
 * there, and the application verifies a real token of the running service;
 * a TypeScript application with its own, different Hono compiles against
 * the middleware. (The tarball of the README's second command: pack.test.ts.)
 */
import { execFile } from "node:child_process";
import { existsSync, lstatSync, readFileSync, realpathSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { application, cloneSdk, nodeJson, ROOT, readmeCommands, runCommand } from "./install/clone.js";
import { type SdkHarness, type Signed, startSdkHarness } from "./support.js";

const run = promisify(execFile);
const TENANT = "install";
let h: SdkHarness;
let dir: string;
let user: Signed;
let stranger: Signed;
let install: string;
/** The application installed from the clone with the repository's dependencies; it has its own Hono. */
let appWithHono: string;

beforeAll(async () => {
  h = await startSdkHarness();
  await h.api.createTenant(TENANT);
  await h.api.createTenant(`${TENANT}-other`);
  user = await h.signup(TENANT);
  stranger = await h.signup(`${TENANT}-other`);
  dir = await mkdtemp(join(tmpdir(), "sdk-install-"));
  const [linked] = await readmeCommands("Install");
  expect(linked).toEqual(["npm install /path/to/authority/sdk"]);
  install = linked?.[0] as string;
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await h?.close();
});

const VERIFY = `
  import { createVerifier } from "@authority/sdk";
  const verifier = createVerifier({ issuer: process.env.ISSUER });
  const mine = await verifier.verify(process.env.TOKEN);
  const other = await verifier.verify(process.env.OTHER);
  console.log(JSON.stringify({ mine, other, backend: verifier.backend }));
`;

interface Verdicts {
  mine: { ok: boolean; claims?: { sub: string } };
  other: { ok: boolean; reason?: string };
  backend: string;
}

describe.each([
  ["with the repository's dependencies installed", true],
  ["where npm ci was not run", false],
])("from a clone %s", (_, rootInstalled) => {
  let clone: string;
  let app: string;

  beforeAll(async () => {
    const base = join(dir, rootInstalled ? "installed" : "bare");
    clone = await cloneSdk(join(base, "authority"), { rootInstalled });
    // The first application already depends on a Hono of another version than the repository's.
    app = await application(join(base, "app"), rootInstalled ? { hono: "4.10.0" } : {});
    await runCommand(install, app, join(base, "authority"));
    if (rootInstalled) appWithHono = app;
  }, 300_000);

  it("links the clone's sdk/ and builds dist/ there", () => {
    const installed = join(app, "node_modules/@authority/sdk");
    expect(lstatSync(installed).isSymbolicLink()).toBe(true);
    expect(realpathSync(installed)).toBe(realpathSync(clone));
    expect(existsSync(join(clone, "dist/index.js"))).toBe(true);
    expect(existsSync(join(clone, "dist/middleware/fastify.d.ts"))).toBe(true);
    // Without the repository's install, the build tools (and jose) were installed beside the SDK.
    expect(existsSync(join(clone, "node_modules/jose/package.json"))).toBe(!rootInstalled);
    expect(existsSync(join(clone, "node_modules/typescript/package.json"))).toBe(!rootInstalled);
  });

  it("verifies the service's tokens in the application, and names another tenant's", async () => {
    const seen = await nodeJson<Verdicts>(app, VERIFY, {
      ISSUER: h.issuer(TENANT),
      TOKEN: user.access_token,
      OTHER: stranger.access_token,
    });
    expect(seen.mine).toMatchObject({ ok: true, claims: { sub: user.user.id } });
    expect(seen.other).toMatchObject({ ok: false, reason: "issuer_mismatch" });
    expect(seen.backend).toBe("node:crypto");
  });
});

describe("a TypeScript application with its own Hono (another version than the clone's)", () => {
  it("compiles against the linked SDK's middleware", async () => {
    const app = appWithHono;
    const source = `
      import { Hono } from "hono";
      import { type AuthEnv, getAuth, optionalAuth, requireAuth, requireScope } from "@authority/sdk/hono";
      const issuer = "http://localhost:8787/t/default";
      const app = new Hono<AuthEnv>();
      app.use("/api/*", requireAuth({ tokens: { issuer } }));
      app.get("/api/me", requireScope("read"), (c) => c.json({ user: c.get("auth").subject }));
      const open = new Hono();
      open.get("/", optionalAuth({ tokens: { issuer } }), (c) => c.text(getAuth(c)?.subject ?? "anonymous"));
      export { app, open };
    `;
    await writeFile(join(app, "app.ts"), source);
    const compilerOptions = { strict: true, noEmit: true, module: "nodenext", target: "es2022", types: [] };
    await writeFile(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["app.ts"] }));
    await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], {
      cwd: app,
    }).catch((error: { stdout: string }) => {
      throw new Error(`tsc failed:\n${error.stdout}`);
    });
    expect(JSON.parse(readFileSync(join(app, "node_modules/hono/package.json"), "utf8")).version).toBe("4.10.0");
  });
});
