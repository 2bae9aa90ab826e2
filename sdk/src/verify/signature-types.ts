import type { Algorithm } from "./types.js";

/** The public members of a JWK (RFC 7517 §4, RFC 7518 §6); private members are never passed on. */
export interface PublicJwk {
  kty: string;
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}

/** A key imported once per JWKS fetch: a Node KeyObject or a WebCrypto CryptoKey, opaque to shared code. */
export type VerificationKey = { readonly __verificationKey: unique symbol };

/**
 * What differs between runtimes, behind the `#signature` subpath import
 * (package.json "imports": `node` condition -> signature-node, otherwise
 * signature-web). Everything else (parsing, header and claim checks) is
 * shared code, so both give the same verdict for the same token.
 */
export interface SignatureBackend {
  readonly name: "node:crypto" | "webcrypto";
  /** Imports a validated public JWK for `alg`; rejects when the runtime refuses it. */
  importKey(jwk: PublicJwk, alg: Algorithm): Promise<VerificationKey>;
  /**
   * True when `signature` is valid over the ASCII bytes of `signingInput`
   * (RFC 7515 §5.2 step 8). Never throws: a refusal by the runtime is `false`.
   */
  verify(key: VerificationKey, alg: Algorithm, signingInput: string, signature: Uint8Array): boolean | Promise<boolean>;
  /** Decodes base64url text already checked to be of the base64url alphabet (RFC 7515 §2). */
  decodeBase64Url(text: string): Uint8Array;
  /** The same, read as UTF-8 (RFC 7515 §5.2 step 3, RFC 8259 §8.1); null when the bytes are not valid UTF-8. */
  decodeBase64UrlText(text: string): string | null;
}
