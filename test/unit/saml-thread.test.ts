/**
 * The Node SAML worker thread's bounds: a flood of responses beyond the
 * queue is refused with 503 at once, and a verification that hangs ends its
 * thread (failing the calls it held) instead of holding logins forever.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { threadedSamlProtocol } from "../../src/adapters/saml/node-thread.js";
import { AppError } from "../../src/core/errors.js";
import type { SamlProtocol } from "../../src/core/ports/saml.js";

/** A thread that takes every request and never answers (a verification that hangs). */
function hangingWorker(): URL {
  const file = join(mkdtempSync(join(tmpdir(), "saml-thread-")), "hang.mjs");
  writeFileSync(file, 'import { parentPort } from "node:worker_threads";\nparentPort.on("message", () => {});\n');
  return pathToFileURL(file);
}

const args = (): Parameters<SamlProtocol["verifyResponse"]> => [
  { entityId: "sp", acsUrl: "https://sp/acs", certificatePem: "", privateKeyPem: "" },
  "<metadata/>",
  "<Response/>",
  60_000,
];

describe("the SAML worker thread", () => {
  it("refuses verifications beyond its queue with 503, and ends a hung thread after its timeout", async () => {
    const protocol = threadedSamlProtocol({} as SamlProtocol, hangingWorker(), {} as WebAssembly.Module, {
      maxQueued: 3,
      timeoutMs: 300,
    });
    const queued = Array.from({ length: 3 }, () => protocol.verifyResponse(...args()).catch((e: unknown) => e));
    const refused = await protocol.verifyResponse(...args()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ status: 503, code: "service_unavailable" });
    for (const outcome of await Promise.all(queued)) {
      expect((outcome as Error).message).toMatch(/SAML worker thread exited/);
    }
    // Room again: the next call starts a new thread (and it hangs and ends the same way).
    const next = await protocol.verifyResponse(...args()).catch((e: unknown) => e);
    expect((next as Error).message).toMatch(/SAML worker thread exited/);
  });
});
