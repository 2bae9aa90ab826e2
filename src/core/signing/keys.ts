import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { Sealer } from "../crypto/sealing.js";
import type { Clock, Random } from "../ports/clock.js";
import type { PrivateSigningKey } from "../ports/crypto.js";
import type { NewSigningKey, SigningAlgorithm, SigningKeyRecord } from "../ports/database.js";

/** Where a private key's seal belongs: it opens only in its own row. */
export const privateKeyContext = (tenantId: string, id: string) => `signing_keys.private_key:${tenantId}:${id}`;

const GENERATE_OPTIONS: Record<SigningAlgorithm, Parameters<typeof generateKeyPair>[1]> = {
  RS256: { modulusLength: 2048, extractable: true },
  ES256: { extractable: true },
  EdDSA: { crv: "Ed25519", extractable: true },
};

/** Public members only, as published: never `d`, `p`, `q`, `dp`, `dq`, `qi`. */
const PUBLIC_MEMBERS = ["kty", "crv", "n", "e", "x", "y"];

function publicPart(jwk: JWK): Record<string, unknown> {
  return Object.fromEntries(Object.entries(jwk).filter(([name]) => PUBLIC_MEMBERS.includes(name)));
}

/**
 * A fresh key pair for a tenant: `kid` is the RFC 7638 thumbprint of the
 * public key, the private JWK is sealed under the current encryption key.
 */
export async function generateSigningKey(
  tenantId: string,
  alg: SigningAlgorithm,
  deps: { sealer: Sealer; random: Random; clock: Clock },
): Promise<NewSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, GENERATE_OPTIONS[alg]);
  const publicJwk = publicPart(await exportJWK(publicKey));
  const id = deps.random.uuid();
  const privateJwk = await exportJWK(privateKey);
  return {
    id,
    tenantId,
    kid: await calculateJwkThumbprint(publicJwk as JWK),
    alg,
    publicJwk,
    privateKeySealed: await deps.sealer.seal(JSON.stringify(privateJwk), privateKeyContext(tenantId, id)),
    createdAt: deps.clock.now(),
  };
}

/** The private key, opened and imported by the sealer's crypto adapter (node:crypto on Node). */
export async function importPrivateKey(key: SigningKeyRecord, sealer: Sealer): Promise<PrivateSigningKey> {
  const jwk = JSON.parse(await sealer.open(key.privateKeySealed, privateKeyContext(key.tenantId, key.id))) as JWK;
  return sealer.primitives.importSigningKey(jwk as Record<string, unknown>, key.alg);
}

export async function importPublicKey(key: Pick<SigningKeyRecord, "publicJwk" | "alg">): Promise<CryptoKey> {
  return (await importJWK(key.publicJwk as JWK, key.alg)) as CryptoKey;
}

/** Re-encryption: the same private key sealed under the current encryption key. */
export async function resealPrivateKey(key: SigningKeyRecord, sealer: Sealer): Promise<string> {
  const context = privateKeyContext(key.tenantId, key.id);
  return sealer.seal(await sealer.open(key.privateKeySealed, context), context);
}
