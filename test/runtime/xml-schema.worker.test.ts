/**
 * The SAML schema validator inside workerd, loaded the way a deployed Worker
 * loads it: test/runtime/xml-schema-worker.ts is bundled by `wrangler deploy
 * --dry-run` (the xmllint .wasm import becomes a separate CompiledWasm module)
 * and run by Miniflare. The same contract as on Node runs against it over HTTP.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { XmlSchemaResult, XmlSchemaValidator } from "../../src/adapters/saml/xml-schema-validator.js";
import {
  idpMetadata,
  invalidDocuments,
  median,
  samlResponse,
  xmlSchemaValidatorContract,
} from "../contract/xml-schema-validator.contract.js";
import { type BundledWorker, startBundledWorker } from "../support/bundled-worker.js";

const _ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORKER_SOURCE = fileURLToPath(new URL("./xml-schema-worker.ts", import.meta.url));

let worker: BundledWorker;

/** The validator inside workerd, seen from here. */
const insideWorkerd: XmlSchemaValidator = {
  async validate(xml) {
    const { valid, errors } = await worker.post<XmlSchemaResult & { ms: number }>("/validate", { xml });
    return { valid, errors };
  },
};

beforeAll(async () => {
  worker = await startBundledWorker(WORKER_SOURCE);
}, 120_000);

afterAll(async () => {
  await worker?.close();
});

xmlSchemaValidatorContract("xmllint WASM inside workerd (precompiled module)", async () => insideWorkerd);

describe("xmllint WASM schema validator inside workerd", () => {
  it("is bundled as a separate .wasm module, not as bytes compiled at run time", async () => {
    const files = await readdir(worker.bundle);
    const wasm = files.filter((f) => f.endsWith(".wasm"));
    expect(wasm).toHaveLength(1);
    const script = await readFile(join(worker.bundle, worker.script), "utf8");
    expect(script).toContain(`from "./${wasm[0]}"`);
    const wasmBytes = await readFile(join(worker.bundle, wasm[0] as string));
    console.log(
      `xmllint in the Worker bundle: ${wasm[0]} ${(wasmBytes.length / 1024).toFixed(0)} KiB ` +
        `(${(gzipSync(wasmBytes, { level: 9 }).length / 1024).toFixed(0)} KiB gzip); the test Worker's script ` +
        `${((await stat(join(worker.bundle, worker.script))).size / 1024).toFixed(0)} KiB`,
    );
  });

  it("runs where compiling WASM from bytes is refused", async () => {
    const { error } = await worker.post<{ error: string | null }>("/compile-from-bytes", {});
    expect(error).toMatch(/disallowed/i);
  });

  it("serves samlify as its schema validator: isValidXml resolves for a valid Response, rejects an invalid one", async () => {
    expect(await worker.post("/samlify", { xml: samlResponse() })).toEqual({ ok: true, error: null });
    const [, invalid] = invalidDocuments()[0] as [string, string, RegExp];
    const { ok, error } = await worker.post<{ ok: boolean; error: string }>("/samlify", { xml: invalid });
    expect(ok).toBe(false);
    expect(error).toMatch(/ERR_INVALID_XML: .*IssueInstant/);
  });

  it("prints the time per validation of a ~5 KB Response inside workerd (not asserted)", async () => {
    const xml = samlResponse();
    const roundTrip: number[] = [];
    const inside: number[] = [];
    for (let i = 0; i < 25; i++) {
      const started = performance.now();
      const { valid, ms } = await worker.post<{ valid: boolean; ms: number }>("/validate", { xml });
      roundTrip.push(performance.now() - started);
      inside.push(ms);
      expect(valid).toBe(true);
    }
    // 50 validations in one request: the per-validation cost without the HTTP round trip.
    const batchStarted = performance.now();
    const batch = await worker.post<{ valid: boolean; ms: number }>("/validate-many", { xml, times: 50 });
    const batchMs = performance.now() - batchStarted;
    expect(batch.valid).toBe(true);
    const metadata = await worker.post<{ valid: boolean; ms: number }>("/validate-many", {
      xml: idpMetadata(),
      times: 20,
    });
    console.log(
      `xmllint WASM in workerd: ${xml.length}-byte Response median ${median(roundTrip).toFixed(1)} ms per request ` +
        `(${median(inside).toFixed(1)} ms by the Worker's clock); 50 in one request ${batchMs.toFixed(0)} ms ` +
        `= ${(batchMs / 50).toFixed(1)} ms each (Worker's clock ${(batch.ms / 50).toFixed(1)} ms); ` +
        `IdP metadata ${(metadata.ms / 20).toFixed(1)} ms each (Worker's clock)`,
    );
    expect(roundTrip).toHaveLength(25);
  });
});
