/**
 * The SDK as published: `npm pack` of sdk/ holds only package.json, the
 * README and dist (JavaScript, declarations and source maps whose sources are
 * inlined, so they neither point at files missing from the package nor at
 * this machine's paths), nothing stale, and the tarball installs in a fresh
 * folder (jose its only dependency, hono not pulled in) where every entry
 * point imports under Node, a TypeScript consumer compiles, and a browser
 * bundle gets the WebCrypto implementation.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SDK = join(ROOT, "sdk");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

let dir: string;
let tarball: string;
let files: string[];

async function walk(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? walk(join(folder, e.name)) : Promise.resolve([join(folder, e.name)]))),
  );
  return nested.flat();
}

beforeAll(async () => {
  if (!existsSync(join(SDK, "dist/index.js"))) throw new Error("sdk/dist is missing: run npm run build:sdk");
  dir = await mkdtemp(join(tmpdir(), "sdk-pack-"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: SDK });
  const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  tarball = join(dir, packed.filename);
  files = packed.files.map((f) => f.path).sort();
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("holds only package.json, README.md, LICENSE and dist", () => {
    expect(files).toContain("package.json");
    expect(files).toContain("README.md");
    expect(files).toContain("LICENSE");
    expect(files).toContain("dist/index.js");
    expect(files).toContain("dist/verify/signature-node.js");
    expect(files).toContain("dist/verify/signature-web.js");
    const other = files.filter(
      (f) => !["package.json", "README.md", "LICENSE"].includes(f) && !/^dist\/[\w/.-]+\.(js|d\.ts|js\.map)$/.test(f),
    );
    expect(other).toEqual([]);
    expect(files.some((f) => /(^|\/)(src|test)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts")))).toBe(false);
  });

  it("ships nothing stale: every module has its source in sdk/src", () => {
    const stale = files
      .filter((f) => f.endsWith(".js"))
      .filter((f) => !existsSync(join(SDK, "src", f.replace(/^dist\//, "").replace(/\.js$/, ".ts"))));
    expect(stale).toEqual([]);
  });

  it("has self-contained source maps without local paths", async () => {
    for (const file of files.filter((f) => f.endsWith(".map"))) {
      const map = JSON.parse(await readFile(join(SDK, file), "utf8")) as {
        sources: string[];
        sourcesContent?: string[];
      };
      expect(map.sourcesContent?.length, file).toBe(map.sources.length);
      for (const source of map.sources) expect(source, file).toMatch(/^(\.\.\/)+src\//);
      expect(JSON.stringify(map)).not.toContain(ROOT);
    }
  });
});

describe("the tarball in a fresh folder", () => {
  let consumer: string;

  beforeAll(async () => {
    consumer = join(dir, "consumer");
    await run("mkdir", ["-p", consumer]);
    await writeFile(
      join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await run(
      "npm",
      ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"],
      { cwd: consumer, timeout: 180_000 },
    );
  }, 200_000);

  it("installs jose (6.2.17) as the only dependency, not hono", async () => {
    const installed = (await walk(join(consumer, "node_modules")))
      .filter((f) => f.endsWith("/package.json"))
      .map((f) => relative(join(consumer, "node_modules"), f))
      .filter((f) => /^(@[^/]+\/)?[^/]+\/package\.json$/.test(f))
      .map((f) => f.replace(/\/package\.json$/, ""))
      .sort();
    expect(installed).toEqual(["@authority/sdk", "jose"]);
    const jose = JSON.parse(await readFile(join(consumer, "node_modules/jose/package.json"), "utf8")) as {
      version: string;
    };
    expect(jose.version).toBe("6.2.17");
    expect(existsSync(join(consumer, "node_modules/@authority/sdk/src"))).toBe(false);
  });

  it("imports every entry point under Node, and nothing beyond them", async () => {
    const script = `
      const sdk = await import("@authority/sdk");
      const hono = await import("@authority/sdk/hono");
      const express = await import("@authority/sdk/express");
      const client = await import("@authority/sdk/client");
      const verifier = sdk.createVerifier({ issuer: "https://auth.example.com/t/acme", audience: "api" });
      const refused = async (specifier) => import(specifier).then(() => "imported", (e) => e.code);
      console.log(JSON.stringify({
        main: Object.keys(sdk).sort(),
        hono: Object.keys(hono).sort(),
        express: Object.keys(express).sort(),
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
    expect(seen.hono).toEqual(["requireAuth", "requireScope"]);
    expect(seen.express).toEqual(["requireAuth", "requireScope"]);
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
