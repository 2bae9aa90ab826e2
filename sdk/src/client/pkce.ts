/**
 * PKCE (RFC 7636) with WebCrypto only, so it runs the same in browsers,
 * Workers and Node: a high-entropy `code_verifier`, its S256 challenge, and
 * an unguessable `state`.
 */

const UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

export interface Pkce {
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: "S256";
}

function webCrypto(): Crypto {
  const crypto = globalThis.crypto;
  if (!crypto?.subtle || typeof crypto.getRandomValues !== "function") {
    throw new Error("WebCrypto (globalThis.crypto.subtle) is not available in this runtime");
  }
  return crypto;
}

function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * A `code_verifier` of `length` (43 to 128) unreserved characters, each
 * uniformly random (rejection sampling, no modulo bias).
 */
export function generateCodeVerifier(length = 64): string {
  if (!Number.isInteger(length) || length < 43 || length > 128) {
    throw new RangeError("a code_verifier has 43 to 128 characters (RFC 7636 §4.1)");
  }
  const crypto = webCrypto();
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length))) {
      // 66 symbols: only bytes below 198 (= 3 * 66) map evenly onto them; the rest are drawn again.
      if (byte < 198 && out.length < length) out += UNRESERVED[byte % UNRESERVED.length];
    }
  }
  return out;
}

/** `BASE64URL(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2). */
export async function codeChallengeS256(codeVerifier: string): Promise<string> {
  const digest = await webCrypto().subtle.digest("SHA-256", new TextEncoder().encode(codeVerifier));
  return base64Url(new Uint8Array(digest));
}

/** A fresh verifier with its S256 challenge. */
export async function createPkce(length = 64): Promise<Pkce> {
  const codeVerifier = generateCodeVerifier(length);
  return { codeVerifier, codeChallenge: await codeChallengeS256(codeVerifier), codeChallengeMethod: "S256" };
}

/** 256 random bits, base64url: for the `state` of a login redirect. */
export function generateState(): string {
  return base64Url(webCrypto().getRandomValues(new Uint8Array(32)));
}
