import type { CryptoPrimitives } from "../ports/crypto.js";
import { webCrypto } from "./web-crypto.js";

/** Hex SHA-256 of a text: how high-entropy secrets (API keys, mailed tokens) are stored. */
export async function sha256Hex(text: string, primitives: CryptoPrimitives = webCrypto): Promise<string> {
  const digest = await primitives.sha256(new TextEncoder().encode(text));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
