/**
 * A software WebAuthn authenticator for tests: a P-256 key made with
 * WebCrypto, "none" attestation (WebAuthn §8.7) and ES256 assertions built
 * byte by byte per WebAuthn §6.1 (authenticator data) and §6.5 (attestation
 * object), so the server verifies exactly what a browser would send.
 */
import { toBase64Url } from "../../src/core/crypto/encoding.js";

type Cbor = number | string | Uint8Array | CborMap | { [key: string]: Cbor };
interface CborMap extends Map<number | string, Cbor> {}

/** The subset of CBOR (RFC 8949) the attestation object and COSE key need. */
function cbor(value: Cbor): Uint8Array {
  const head = (major: number, n: number): number[] => {
    if (n < 24) return [(major << 5) | n];
    if (n < 256) return [(major << 5) | 24, n];
    if (n < 65_536) return [(major << 5) | 25, n >> 8, n & 0xff];
    return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  };
  if (typeof value === "number") return Uint8Array.from(value >= 0 ? head(0, value) : head(1, -1 - value));
  if (typeof value === "string") {
    const bytes = new TextEncoder().encode(value);
    return concat(Uint8Array.from(head(3, bytes.length)), bytes);
  }
  if (value instanceof Uint8Array) return concat(Uint8Array.from(head(2, value.length)), value);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return concat(Uint8Array.from(head(5, entries.length)), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)]));
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const sha256 = async (data: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", data as BufferSource));
const b64 = (bytes: Uint8Array) => toBase64Url(bytes);
const text = (s: string) => new TextEncoder().encode(s);

/** WebCrypto's ECDSA signature is r || s; WebAuthn's ES256 signature is ASN.1 DER (WebAuthn §6.5.5). */
function derSignature(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    const trimmed = bytes.slice(i);
    const body = (trimmed[0] ?? 0) & 0x80 ? concat(Uint8Array.of(0), trimmed) : trimmed;
    return concat(Uint8Array.of(0x02, body.length), body);
  };
  const r = integer(raw.slice(0, 32));
  const s = integer(raw.slice(32));
  return concat(Uint8Array.of(0x30, r.length + s.length), r, s);
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface SoftAuthenticatorOptions {
  /** Backup eligible and backed up: a synced passkey (amr swk); otherwise device-bound (hwk). */
  synced?: boolean;
  userVerified?: boolean;
  /** false: an authenticator that keeps no signature counter (always 0). */
  counts?: boolean;
}

export interface Ceremony {
  origin: string;
  /** The RP ID the authenticator signs for; by default the options' (registration) or the credential's (assertion). */
  rpId?: string;
  /** The challenge put in clientDataJSON; the options' by default. */
  challenge?: string;
}

export class SoftAuthenticator {
  counter = 0;
  userHandle: string | null = null;
  /** Like a real authenticator's, the credential is scoped to the RP ID it was created for. */
  rpId: string | null = null;

  private constructor(
    private readonly keys: CryptoKeyPair,
    readonly credentialId: string,
    private readonly options: Required<SoftAuthenticatorOptions>,
  ) {}

  static async create(options: SoftAuthenticatorOptions = {}): Promise<SoftAuthenticator> {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    return new SoftAuthenticator(keys, b64(crypto.getRandomValues(new Uint8Array(16))), {
      synced: options.synced ?? false,
      userVerified: options.userVerified ?? true,
      counts: options.counts ?? true,
    });
  }

  private flags(extra: number): number {
    return FLAG_UP | (this.options.userVerified ? FLAG_UV : 0) | (this.options.synced ? FLAG_BE | FLAG_BS : 0) | extra;
  }

  private async authData(rpId: string, flags: number, attested?: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    const count = new Uint8Array(4);
    new DataView(count.buffer).setUint32(0, this.counter);
    return concat(await sha256(text(rpId)), Uint8Array.of(flags), count, ...(attested ? [attested] : []));
  }

  private clientData(type: string, challenge: string, origin: string): Uint8Array<ArrayBuffer> {
    return text(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** navigator.credentials.create() for the options JSON of the registration route. */
  async register(options: { challenge: string; rp: { id?: string }; user: { id: string } }, ceremony: Ceremony) {
    const jwk = await crypto.subtle.exportKey("jwk", this.keys.publicKey);
    const cose = new Map<number, Cbor>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Uint8Array.from(Buffer.from(jwk.x ?? "", "base64url"))],
      [-3, Uint8Array.from(Buffer.from(jwk.y ?? "", "base64url"))],
    ]);
    const id = Uint8Array.from(Buffer.from(this.credentialId, "base64url"));
    const attested = concat(new Uint8Array(16), Uint8Array.of(id.length >> 8, id.length & 0xff), id, cbor(cose));
    const rpId = ceremony.rpId ?? options.rp.id ?? "";
    const authData = await this.authData(rpId, this.flags(FLAG_AT), attested);
    this.userHandle = options.user.id;
    this.rpId = rpId;
    const clientDataJSON = this.clientData("webauthn.create", ceremony.challenge ?? options.challenge, ceremony.origin);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: "public-key" as const,
      clientExtensionResults: {},
      authenticatorAttachment: "platform" as const,
      response: {
        clientDataJSON: b64(clientDataJSON),
        attestationObject: b64(cbor({ fmt: "none", attStmt: {}, authData })),
        transports: ["internal"],
      },
    };
  }

  /** navigator.credentials.get() for the options JSON of an authentication route. */
  async assert(options: { challenge: string; rpId?: string }, ceremony: Ceremony) {
    if (this.options.counts) this.counter++;
    const authData = await this.authData(ceremony.rpId ?? this.rpId ?? options.rpId ?? "", this.flags(0));
    const clientDataJSON = this.clientData("webauthn.get", ceremony.challenge ?? options.challenge, ceremony.origin);
    const signed = concat(authData, await sha256(clientDataJSON));
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, this.keys.privateKey, signed),
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: "public-key" as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64(clientDataJSON),
        authenticatorData: b64(authData),
        signature: b64(derSignature(raw)),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
    };
  }
}
