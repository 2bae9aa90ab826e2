import { describe, expect, it } from "vitest";
import { nodeCrypto } from "../../src/adapters/crypto/node-crypto.js";
import { Sealer } from "../../src/core/crypto/sealing.js";
import { webCrypto } from "../../src/core/crypto/web-crypto.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { cryptoPrimitivesContract, jwsSigningContract } from "./crypto-primitives.contract.js";

cryptoPrimitivesContract(webCrypto);
cryptoPrimitivesContract(nodeCrypto);
jwsSigningContract(webCrypto);
jwsSigningContract(nodeCrypto);

const keys = [{ id: "k1", key: Uint8Array.from({ length: 32 }, (_, i) => i * 7) }];
const utf8 = (text: string) => new TextEncoder().encode(text);
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

/** The keys as the sealer derived them before the primitives port: WebCrypto deriveKey, straight from HKDF. */
async function legacyKeys() {
  const material = await crypto.subtle.importKey("raw", new Uint8Array(keys[0]?.key ?? []), "HKDF", false, [
    "deriveKey",
  ]);
  const hkdf = (info: string) => ({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8(info) });
  const seal = await crypto.subtle.deriveKey(
    hkdf("authority/seal/v1"),
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt"],
  );
  const index = await crypto.subtle.deriveKey(
    hkdf("authority/blind-index/v1"),
    material,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return { seal, index };
}

describe("sealing across adapters and with data sealed before the port", () => {
  it("finds, opens and indexes alike on both adapters, and alike with the former derivation", async () => {
    const onWeb = await Sealer.create(keys, cryptoRandom, webCrypto);
    const onNode = await Sealer.create(keys, cryptoRandom, nodeCrypto);
    expect(await onNode.blindIndex("ann@example.com", "users.email")).toBe(
      await onWeb.blindIndex("ann@example.com", "users.email"),
    );
    expect(await onNode.open(await onWeb.seal("from the edge", "c"), "c")).toBe("from the edge");
    expect(await onWeb.open(await onNode.seal("from a pod", "c"), "c")).toBe("from a pod");

    const legacy = await legacyKeys();
    const mac = await crypto.subtle.sign("HMAC", legacy.index, utf8("users.email\u0000ann@example.com"));
    expect(await onNode.blindIndex("ann@example.com", "users.email")).toBe(`k1:${b64url(new Uint8Array(mac))}`);
    const iv = new Uint8Array(12).fill(3);
    const old = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: utf8("c") },
      legacy.seal,
      utf8("old row"),
    );
    const sealed = `s1.k1.${b64url(iv)}.${b64url(new Uint8Array(old))}`;
    expect(await onNode.open(sealed, "c")).toBe("old row");
    expect(await onWeb.open(sealed, "c")).toBe("old row");
  });
});
