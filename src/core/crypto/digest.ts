import type { CryptoPrimitives } from "../ports/crypto.js";
import { webCrypto } from "./web-crypto.js";

/** Hex SHA-256 of a text: how high-entropy secrets (API keys, mailed tokens) are stored. */
export function sha256Hex(text: string, primitives: CryptoPrimitives = webCrypto): Promise<string> {
  return primitives.sha256Text(text, "hex");
}

/** base64url SHA-256 of a text: how one-time codes are keyed, and the PKCE S256 transform (RFC 7636 §4.2). */
export function sha256Base64Url(text: string, primitives: CryptoPrimitives = webCrypto): Promise<string> {
  return primitives.sha256Text(text, "base64url");
}
