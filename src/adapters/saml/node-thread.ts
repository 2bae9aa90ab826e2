import { Worker } from "node:worker_threads";
import { errors } from "../../core/errors.js";
import { type SamlProtocol, SamlProtocolError, type VerifiedAssertion } from "../../core/ports/saml.js";

/** Verifications waiting for the thread beyond this are refused (503): ~10 s of the worst responses. */
const MAX_QUEUED = 32;
/** A verification that takes longer ends the thread (a hang must not hold logins forever). */
const VERIFY_TIMEOUT_MS = 10_000;

/** A verifyResponse call as the worker receives it. */
export interface VerifyRequest {
  id: number;
  args: Parameters<SamlProtocol["verifyResponse"]>;
}

/** The worker's answer: the assertion, or why not (`protocol`: a SamlProtocolError, else a fault). */
export type VerifyAnswer =
  | { id: number; assertion: VerifiedAssertion }
  | { id: number; error: string; protocol: boolean };

/**
 * Node: verifyResponse runs on a worker thread (src/entry/saml-worker.ts,
 * built next to the server's entry), because verifying a response of the
 * largest size the ACS admits costs ~300 ms of CPU (`npm run bench:saml`),
 * which on the main thread would stall every other request. One thread,
 * started at the first response and unref'd (it never holds the process
 * open); if it dies, the calls it held fail and the next call starts
 * another. The other methods are cheap and run inline. `xmllint`: the
 * schema validator's compiled WASM, shared with the thread.
 */
export function threadedSamlProtocol(
  inline: SamlProtocol,
  workerUrl: URL,
  xmllint: WebAssembly.Module,
  limits = { maxQueued: MAX_QUEUED, timeoutMs: VERIFY_TIMEOUT_MS },
): SamlProtocol {
  let worker: Worker | null = null;
  let nextId = 0;
  const pending = new Map<number, { resolve: (a: VerifiedAssertion) => void; reject: (e: Error) => void }>();

  const start = () => {
    // A compiled WebAssembly.Module crosses to the thread without compiling again.
    const started = new Worker(workerUrl, { workerData: { xmllint } });
    started.unref();
    started.on("message", (answer: VerifyAnswer) => {
      const call = pending.get(answer.id);
      if (!call) return;
      pending.delete(answer.id);
      if ("assertion" in answer) call.resolve(answer.assertion);
      else call.reject(answer.protocol ? new SamlProtocolError(answer.error) : new Error(answer.error));
    });
    const fail = (error: Error) => {
      if (worker === started) worker = null;
      for (const call of pending.values()) call.reject(error);
      pending.clear();
    };
    started.on("error", fail);
    started.on("exit", (code) => fail(new Error(`The SAML worker thread exited (code ${code}).`)));
    return started;
  };

  return {
    ...inline,
    verifyResponse(...args) {
      if (pending.size >= limits.maxQueued) {
        return Promise.reject(errors.unavailable("Too many SAML responses are being verified; try again shortly."));
      }
      worker ??= start();
      const thread = worker;
      const id = nextId++;
      const request: VerifyRequest = { id, args };
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          // Its exit rejects every call it held; the next call starts another thread.
          void thread.terminate();
        }, limits.timeoutMs);
        timer.unref();
        const settle =
          <T>(finish: (value: T) => void) =>
          (value: T) => {
            clearTimeout(timer);
            finish(value);
          };
        pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
        thread.postMessage(request);
      });
    },
  };
}
