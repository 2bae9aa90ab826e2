/**
 * The SAML schema validator inside workerd, loaded the way a deployed Worker
 * loads it: test/runtime/xml-schema-worker.ts is bundled by `wrangler deploy
 * --dry-run` (the xmllint .wasm import becomes a separate CompiledWasm module)
 * and run by Miniflare. The same contract as on Node runs against it over HTTP.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { XmlSchemaResult, XmlSchemaValidator } from "../../src/adapters/saml/xml-schema-validator.js";
import {
  idpMetadata,
  invalidDocuments,
  median,
  samlResponse,
  xmlSchemaValidatorContract,
} from "../contract/xml-schema-validator.contract.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORKER_SOURCE = fileURLToPath(new URL("./xml-schema-worker.ts", import.meta.url));
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

let dir: string;
let bundle: string;
let mf: Miniflare;

async function post<T>(path: string, body: unknown): Promise<T> {
  const response = await mf.dispatchFetch(`http://xml-schema.test${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The validator inside workerd, seen from here. */
const insideWorkerd: XmlSchemaValidator = {
  async validate(xml) {
    const { valid, errors } = await post<XmlSchemaResult & { ms: number }>("/validate", { xml });
    return { valid, errors };
  },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "xml-schema-worker-"));
  bundle = join(dir, "out");
  const config = join(dir, "wrangler.toml");
  await writeFile(
    config,
    [
      'name = "xml-schema-worker-test"',
      `main = ${JSON.stringify(WORKER_SOURCE)}`,
      'compatibility_date = "2026-04-26"',
      'compatibility_flags = ["nodejs_compat"]',
      "",
    ].join("\n"),
  );
  // No [[rules]]: wrangler's default rules bundle `*.wasm` imports as CompiledWasm.
  await promisify(execFile)(
    process.execPath,
    [WRANGLER, "deploy", "--dry-run", "--outdir", bundle, "--config", config],
    {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG_PATH: join(dir, "logs"), NO_COLOR: "1" },
    },
  );
  mf = new Miniflare({
    modules: true,
    // wrangler names the bundle after `main`.
    scriptPath: join(bundle, "xml-schema-worker.js"),
    modulesRoot: bundle,
    // What wrangler uploads: the .wasm beside the script as a precompiled module.
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-04-26",
    compatibilityFlags: ["nodejs_compat"],
  });
  await mf.ready;
}, 120_000);

afterAll(async () => {
  try {
    await mf?.dispose();
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
});

xmlSchemaValidatorContract("xmllint WASM inside workerd (precompiled module)", async () => insideWorkerd);

describe("xmllint WASM schema validator inside workerd", () => {
  it("is bundled as a separate .wasm module, not as bytes compiled at run time", async () => {
    const files = await readdir(bundle);
    const wasm = files.filter((f) => f.endsWith(".wasm"));
    expect(wasm).toHaveLength(1);
    const script = await readFile(join(bundle, "xml-schema-worker.js"), "utf8");
    expect(script).toContain(`from "./${wasm[0]}"`);
    const wasmBytes = await readFile(join(bundle, wasm[0] as string));
    console.log(
      `xmllint in the Worker bundle: ${wasm[0]} ${(wasmBytes.length / 1024).toFixed(0)} KiB ` +
        `(${(gzipSync(wasmBytes, { level: 9 }).length / 1024).toFixed(0)} KiB gzip); the test Worker's script ` +
        `${((await stat(join(bundle, "xml-schema-worker.js"))).size / 1024).toFixed(0)} KiB`,
    );
  });

  it("runs where compiling WASM from bytes is refused", async () => {
    const { error } = await post<{ error: string | null }>("/compile-from-bytes", {});
    expect(error).toMatch(/disallowed/i);
  });

  it("serves samlify as its schema validator: isValidXml resolves for a valid Response, rejects an invalid one", async () => {
    expect(await post("/samlify", { xml: samlResponse() })).toEqual({ ok: true, error: null });
    const [, invalid] = invalidDocuments()[0] as [string, string, RegExp];
    const { ok, error } = await post<{ ok: boolean; error: string }>("/samlify", { xml: invalid });
    expect(ok).toBe(false);
    expect(error).toMatch(/ERR_INVALID_XML: .*IssueInstant/);
  });

  it("prints the time per validation of a ~5 KB Response inside workerd (not asserted)", async () => {
    const xml = samlResponse();
    const roundTrip: number[] = [];
    const inside: number[] = [];
    for (let i = 0; i < 25; i++) {
      const started = performance.now();
      const { valid, ms } = await post<{ valid: boolean; ms: number }>("/validate", { xml });
      roundTrip.push(performance.now() - started);
      inside.push(ms);
      expect(valid).toBe(true);
    }
    // 50 validations in one request: the per-validation cost without the HTTP round trip.
    const batchStarted = performance.now();
    const batch = await post<{ valid: boolean; ms: number }>("/validate-many", { xml, times: 50 });
    const batchMs = performance.now() - batchStarted;
    expect(batch.valid).toBe(true);
    const metadata = await post<{ valid: boolean; ms: number }>("/validate-many", { xml: idpMetadata(), times: 20 });
    console.log(
      `xmllint WASM in workerd: ${xml.length}-byte Response median ${median(roundTrip).toFixed(1)} ms per request ` +
        `(${median(inside).toFixed(1)} ms by the Worker's clock); 50 in one request ${batchMs.toFixed(0)} ms ` +
        `= ${(batchMs / 50).toFixed(1)} ms each (Worker's clock ${(batch.ms / 50).toFixed(1)} ms); ` +
        `IdP metadata ${(metadata.ms / 20).toFixed(1)} ms each (Worker's clock)`,
    );
    expect(roundTrip).toHaveLength(25);
  });
});
