import type { EgressPolicy } from "./egress.js";

export interface EgressLimits {
  /** The whole call, body included. */
  timeoutMs: number;
  /** Bytes of body read before the answer is refused (counted as it streams; Content-Length is not trusted). */
  maxBytes: number;
}

/** Refused before any connection: the policy does not allow the URL. */
class RefusedDestination extends Error {
  override name = "RefusedDestination";
}

class ResponseTooLarge extends Error {
  override name = "ResponseTooLarge";
}

/** Statuses whose Response must have a null body (Fetch standard). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * A fetch for calls to URLs that tenants control: every call's URL is checked
 * against the policy (so a row stored earlier, or a discovery document naming
 * internal endpoints, is refused too), redirects are never followed (a 3xx is
 * answered as it is), and the call is bounded in time and in body size. The
 * answer is read whole here, so the time limit covers the body as well.
 */
export function egressFetch(base: typeof fetch, policy: EgressPolicy, limits: EgressLimits): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const refusal = policy.refusal(url);
    if (refusal) throw new RefusedDestination(`refused destination ${url.origin}: ${refusal}`);
    const timeout = AbortSignal.timeout(limits.timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const response = await base(input, { ...init, redirect: "manual", signal });
    const body = await readLimited(response, limits.maxBytes);
    return new Response(NULL_BODY.has(response.status) ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

async function readLimited(response: Response, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new ResponseTooLarge(`answer larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}
