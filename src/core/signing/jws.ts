import { base64UrlLength, fromUtf8, writeBase64Url, writeBase64UrlOfText } from "../crypto/encoding.js";
import type { JwsSigning, PrivateSigningKey } from "../ports/crypto.js";

const DOT = 46;
/** Room kept for the signature's text: RS256 with keys up to 4096 bits; a larger one grows the buffer. */
const SIGNATURE_ROOM = base64UrlLength(512);

/**
 * The JWS Compact Serialization (RFC 7515 §7.1) of a JSON payload under
 * `key`: BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature),
 * with `alg` taken from the key, never from the caller. The token is written
 * once as ASCII bytes, the first two parts of which are the signing input,
 * and read back as one string.
 */
export async function signCompactJws(
  signing: JwsSigning,
  key: PrivateSigningKey,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  // Object.assign, not a spread: V8 (Node 20) is slow to add keys to a spread copy (~0.4 µs each).
  const headerJson = JSON.stringify(Object.assign({}, header, { alg: key.alg }));
  const payloadJson = JSON.stringify(payload);
  const input = base64UrlLength(3 * headerJson.length) + 1 + base64UrlLength(3 * payloadJson.length);
  let out = new Uint8Array(input + 1 + SIGNATURE_ROOM);
  let at = writeBase64UrlOfText(headerJson, out, 0);
  out[at++] = DOT;
  at = writeBase64UrlOfText(payloadJson, out, at);
  // The signer is done with its input once it answers, so the signature may follow it in the same buffer.
  const signature = await signing.jwsSignature(key, out.subarray(0, at));
  const length = at + 1 + base64UrlLength(signature.length);
  if (length > out.length) {
    const grown = new Uint8Array(length);
    grown.set(out.subarray(0, at));
    out = grown;
  }
  out[at++] = DOT;
  return fromUtf8.decode(out.subarray(0, writeBase64Url(signature, out, at)));
}

/**
 * RFC 7515 §7.1 and §2: three base64url segments, unpadded, nothing else (no
 * whitespace, no `=`). The signature may be empty, so `alg: none` is refused
 * as an algorithm, as the SDK does.
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The 6 bits a base64url character stands for (the caller has checked it is one). */
const sextet = (code: number): number =>
  code === 95 ? 63 : code === 45 ? 62 : code >= 97 ? code - 71 : code >= 65 ? code - 65 : code + 4;

/**
 * Whether the segment text[start, end) has a length some bytes encode to and
 * zero bits past its last byte (RFC 4648 §3.5: an encoder writes them as zero),
 * so each byte string has exactly one text.
 */
function canonicalSegment(text: string, start: number, end: number): boolean {
  const tail = (end - start) % 4;
  if (tail === 0) return true;
  if (tail === 1) return false;
  return (sextet(text.charCodeAt(end - 1)) & (tail === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * Whether a token's text is a compact JWS as this service writes one, checked
 * before jose reads it: jose decodes with atob, which skips whitespace and
 * takes padding and spare bits, so one token would have many texts.
 */
export function isCompactJws(text: string): boolean {
  if (!COMPACT_JWS.test(text)) return false;
  const first = text.indexOf(".");
  const second = text.indexOf(".", first + 1);
  return (
    canonicalSegment(text, 0, first) &&
    canonicalSegment(text, first + 1, second) &&
    canonicalSegment(text, second + 1, text.length)
  );
}
