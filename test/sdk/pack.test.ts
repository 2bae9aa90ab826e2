/**
 * The SDK as a packed copy, made by the commands of sdk/README.md's
 * "Install" (`npm pack /path/to/authority/sdk`, then `npm install` of the
 * tarball; taken from the Markdown) from a clone without dist/: packing
 * builds it (`prepare`). The tarball holds only package.json, the README, the
 * guides, LICENSE and dist (JavaScript, declarations and source maps whose
 * sources are inlined, so they neither point at files missing from the
 * package nor at this machine's paths), nothing stale; it installs in a fresh
 * application (without running any script: it is built) where jose, its
 * only dependency, is the application's own copy, no framework is pulled in,
 * every entry point imports under Node, a TypeScript consumer compiles, and
 * a browser bundle gets the WebCrypto implementation.
 */
import { execFile } from "node:child_process";
import { existsSync, lstatSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { application, cloneSdk, readmeCommands, runCommand } from "./install/clone.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

let dir: string;
let clone: string;
let sdk: string;
let consumer: string;
let files: string[];

async function walk(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? walk(join(folder, e.name)) : Promise.resolve([join(folder, e.name)]))),
  );
  return nested.flat();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sdk-pack-"));
  clone = join(dir, "authority");
  sdk = await cloneSdk(clone, { rootInstalled: true });
  // The application already depends on a newer jose than the SDK's lowest: one copy must serve both.
  consumer = await application(join(dir, "consumer"), { jose: "6.2.19" });
  const [, packed] = await readmeCommands("Install");
  expect(packed).toEqual(["npm pack /path/to/authority/sdk", "npm install ./authority-sdk-0.1.0.tgz"]);
  const [pack, install] = packed as [string, string];
  const listing = await runCommand(`${pack} --json`, consumer, clone);
  files = (JSON.parse(listing) as [{ files: { path: string }[] }])[0].files.map((f) => f.path).sort();
  await runCommand(`${install} --prefer-offline`, consumer, clone);
}, 300_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("holds only package.json, README.md, the guides, LICENSE and dist", () => {
    expect(files).toContain("package.json");
    expect(files).toContain("README.md");
    expect(files).toContain("LICENSE");
    expect(files).toContain("dist/index.js");
    expect(files).toContain("dist/verify/signature-node.js");
    expect(files).toContain("dist/verify/signature-web.js");
    expect(files).toContain("docs/hono.md");
    const other = files.filter(
      (f) =>
        !["package.json", "README.md", "LICENSE"].includes(f) &&
        !/^dist\/[\w/.-]+\.(js|d\.ts|js\.map)$/.test(f) &&
        !/^docs\/[\w-]+\.md$/.test(f),
    );
    expect(other).toEqual([]);
    expect(files.some((f) => /(^|\/)(src|test)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts")))).toBe(false);
  });

  it("ships nothing stale: every module has its source in sdk/src", () => {
    const stale = files
      .filter((f) => f.endsWith(".js"))
      .filter((f) => !existsSync(join(sdk, "src", f.replace(/^dist\//, "").replace(/\.js$/, ".ts"))));
    expect(stale).toEqual([]);
  });

  it("has self-contained source maps without local paths", async () => {
    for (const file of files.filter((f) => f.endsWith(".map"))) {
      const map = JSON.parse(await readFile(join(sdk, file), "utf8")) as {
        sources: string[];
        sourcesContent?: string[];
      };
      expect(map.sourcesContent?.length, file).toBe(map.sources.length);
      for (const source of map.sources) expect(source, file).toMatch(/^(\.\.\/)+src\//);
      expect(JSON.stringify(map)).not.toContain(ROOT);
      expect(JSON.stringify(map)).not.toContain(dir);
    }
  });
});

describe("the tarball in a fresh application", () => {
  it("installs only jose, the application's own copy (a caret range), and no framework", async () => {
    const installed = (await walk(join(consumer, "node_modules")))
      .filter((f) => f.endsWith("/package.json"))
      .map((f) => relative(join(consumer, "node_modules"), f))
      .filter((f) => /^(@[^/]+\/)?[^/]+\/package\.json$/.test(f))
      .map((f) => f.replace(/\/package\.json$/, ""))
      .sort();
    expect(installed).toEqual(["@authority/sdk", "jose"]);
    const manifest = (path: string) =>
      readFile(join(consumer, "node_modules", path, "package.json"), "utf8").then(
        (text) => JSON.parse(text) as { version: string; dependencies: Record<string, string> },
      );
    expect((await manifest("@authority/sdk")).dependencies).toEqual({ jose: "^6.2.17" });
    expect((await manifest("jose")).version).toBe("6.2.19");
    expect(existsSync(join(consumer, "node_modules/@authority/sdk/node_modules"))).toBe(false);
    expect(existsSync(join(consumer, "node_modules/@authority/sdk/src"))).toBe(false);
    expect(lstatSync(join(consumer, "node_modules/@authority/sdk")).isSymbolicLink()).toBe(false);
  });

  it("imports every entry point under Node, and nothing beyond them", async () => {
    const script = `
      const sdk = await import("@authority/sdk");
      const hono = await import("@authority/sdk/hono");
      const express = await import("@authority/sdk/express");
      const fastify = await import("@authority/sdk/fastify");
      const client = await import("@authority/sdk/client");
      const verifier = sdk.createVerifier({ issuer: "https://auth.example.com/t/acme", audience: "api" });
      const refused = async (specifier) => import(specifier).then(() => "imported", (e) => e.code);
      console.log(JSON.stringify({
        main: Object.keys(sdk).sort(),
        hono: Object.keys(hono).sort(),
        express: Object.keys(express).sort(),
        fastify: Object.keys(fastify).sort(),
        client: Object.keys(client).length,
        backend: verifier.backend,
        verdict: await verifier.verify("not-a-token"),
        deep: await refused("@authority/sdk/dist/verify/jwks.js"),
        internal: await refused("#signature"),
      }));
    `;
    await writeFile(join(consumer, "check.mjs"), script);
    const { stdout } = await run(process.execPath, ["check.mjs"], { cwd: consumer });
    const seen = JSON.parse(stdout);
    expect(seen.main).toEqual(
      expect.arrayContaining([
        "SDK_VERSION",
        "createVerifier",
        "createApiKeyVerifier",
        "withAuth",
        "TokenVerificationError",
        "isWellFormedApiKey",
      ]),
    );
    expect(seen.hono).toEqual(["getAuth", "optionalAuth", "requireAuth", "requireScope"]);
    expect(seen.express).toEqual(["requireAuth", "requireScope"]);
    expect(seen.fastify).toEqual(["getAuth", "requireAuth", "requireScope"]);
    expect(seen.client).toBeGreaterThan(0);
    expect(seen.backend).toBe("node:crypto");
    expect(seen.verdict).toMatchObject({ ok: false, error: "invalid_token", reason: "malformed" });
    expect(seen.deep).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    expect(seen.internal).toMatch(/^ERR_/);
  });

  it("compiles a TypeScript consumer (NodeNext, strict) against the declarations", async () => {
    const source = `
      import { createVerifier, createApiKeyVerifier, withAuth, type AuthPrincipal, type VerifyResult } from "@authority/sdk";
      import { requireAuth, requireScope, type NodeStyleRequest } from "@authority/sdk/express";
      const tokens = createVerifier({ issuer: "https://auth.example.com/t/acme", audience: ["api"], checkRevocation: "none" });
      const apiKeys = createApiKeyVerifier({ issuer: tokens.issuer, apiKey: "sk_x" });
      export const handler = withAuth(async (_request: Request, auth: AuthPrincipal) => new Response(auth.subject), { tokens, apiKeys });
      export const middleware = [requireAuth({ tokens }), requireScope("read")];
      export async function check(token: string): Promise<string> {
        const result: VerifyResult = await tokens.verify(token);
        return result.ok ? result.claims.sub : result.reason;
      }
      export const scopes = (req: NodeStyleRequest) => req.auth?.scopes ?? [];
    `;
    await writeFile(join(consumer, "consumer.ts"), source);
    const compilerOptions = {
      strict: true,
      noEmit: true,
      module: "nodenext",
      moduleResolution: "nodenext",
      target: "es2022",
      lib: ["es2022", "dom"],
      // No @types/node here: the declarations must not need it.
      types: [],
    };
    await writeFile(join(consumer, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["consumer.ts"] }));
    await run(process.execPath, [TSC, "-p", "tsconfig.json"], {
      cwd: consumer,
    }).catch((error: { stdout: string }) => {
      throw new Error(`tsc failed:\n${error.stdout}`);
    });
  });

  it("bundles for browsers with the WebCrypto implementation", async () => {
    await writeFile(
      join(consumer, "browser.js"),
      `import { createVerifier } from "@authority/sdk"; globalThis.v = createVerifier({ issuer: "https://a.example/t/x", audience: "x" });`,
    );
    const result = await build({
      entryPoints: [join(consumer, "browser.js")],
      absWorkingDir: consumer,
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      logLevel: "silent",
    });
    const code = result.outputFiles[0]?.text ?? "";
    expect(code).toContain("crypto.subtle.verify");
    expect(code).not.toMatch(/node:crypto|createPublicKey/);
  });
});
