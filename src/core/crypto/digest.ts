import type { CryptoPrimitives } from "../ports/crypto.js";
import { toBase64Url } from "./encoding.js";
import { webCrypto } from "./web-crypto.js";

/** Hex SHA-256 of a text: how high-entropy secrets (API keys, mailed tokens) are stored. */
export async function sha256Hex(text: string, primitives: CryptoPrimitives = webCrypto): Promise<string> {
  return primitives.sha256Text(text, "hex");
}

/** base64url SHA-256 of a text: how one-time codes are keyed, and the PKCE S256 transform (RFC 7636 §4.2). */
export async function sha256Base64Url(text: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}
