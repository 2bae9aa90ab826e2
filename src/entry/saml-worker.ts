import { parentPort, workerData } from "node:worker_threads";
import type { VerifyAnswer, VerifyRequest } from "../adapters/saml/node-thread.js";
import { samlifyProtocol, useSchemaValidator } from "../adapters/saml/samlify.js";
import { createXmllintSchemaValidator } from "../adapters/saml/xml-schema-validator.js";
import { SamlProtocolError } from "../core/ports/saml.js";

/** The worker thread of src/adapters/saml/node-thread.ts: verifies SAML responses off the main thread. */
const port = parentPort;
if (!port) throw new Error("saml-worker runs as a worker thread");
useSchemaValidator(createXmllintSchemaValidator((workerData as { xmllint: WebAssembly.Module }).xmllint));
port.on("message", async ({ id, args }: VerifyRequest) => {
  let answer: VerifyAnswer;
  try {
    answer = { id, assertion: await samlifyProtocol.verifyResponse(...args) };
  } catch (error) {
    answer = { id, error: (error as Error).message ?? String(error), protocol: error instanceof SamlProtocolError };
  }
  port.postMessage(answer);
});
