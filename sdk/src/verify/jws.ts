/**
 * Parsing of a compact JWS (RFC 7515 §7.1), shared by every runtime. Only the
 * strict form is accepted: three non-empty base64url segments (the signature
 * may be empty only so that `alg: none` is refused as an algorithm, not as
 * noise), no padding, bounded length; JWE (five segments) is refused.
 */
import type { SignatureBackend } from "./signature-types.js";

/** Far above any access token the authority issues (about 1 KB); bounds the work spent on junk. */
const MAX_TOKEN_LENGTH = 16_384;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

export interface CompactJws {
  headerSegment: string;
  /** `BASE64URL(header) || "." || BASE64URL(payload)`, the bytes the signature covers (RFC 7515 §5.1). */
  signingInput: string;
  payloadSegment: string;
  signatureSegment: string;
}

const isSegment = (segment: string) => SEGMENT.test(segment) && segment.length % 4 !== 1;

/** A base64url segment holding a JSON object (RFC 7515 §5.2 steps 2-3; RFC 7519 §7.2 step 10). */
export function decodeJsonObject(segment: string, backend: SignatureBackend): Record<string, unknown> | null {
  // A length of 4n+1 cannot be base64; runtimes differ on what they make of it.
  if (!isSegment(segment)) return null;
  const text = backend.decodeBase64UrlText(segment);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The three segments of a compact JWS, checked for shape only (the header is decoded by the caller). */
export function splitCompactJws(token: unknown): CompactJws | null {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return null;
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  if (first < 1 || second < 0 || token.indexOf(".", second + 1) !== -1) return null;
  const payloadSegment = token.slice(first + 1, second);
  const signatureSegment = token.slice(second + 1);
  if (!isSegment(payloadSegment)) return null;
  if (signatureSegment.length > 0 && !isSegment(signatureSegment)) return null;
  return {
    headerSegment: token.slice(0, first),
    signingInput: token.slice(0, second),
    payloadSegment,
    signatureSegment,
  };
}
