import { describe, expect, it } from "vitest";
import { Sealer } from "../../src/core/crypto/sealing.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { RefreshTokens } from "../../src/core/sessions/refresh-token.js";

const key = (id: string) => ({ id, key: cryptoRandom.bytes(32) });
const TENANT = "8f4e2b7a-0c1d-4e5f-9a8b-7c6d5e4f3a2b";
const SESSION = "0b9c8d7e-6f5a-4b3c-2d1e-0f9a8b7c6d5e";

async function codec(keys = [key("k1")]) {
  return new RefreshTokens(await Sealer.create(keys, cryptoRandom), cryptoRandom);
}

describe("refresh tokens", () => {
  it("round-trips session id and generation, with 256 random bits and only a hash to store", async () => {
    const tokens = await codec();
    const minted = await tokens.mint(TENANT, SESSION, 7);
    expect(minted.text).toMatch(/^rt1\.[A-Za-z0-9_-]{70}\.k1:[A-Za-z0-9_-]{43}$/);
    expect(minted.hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await tokens.parse(TENANT, minted.text)).toEqual(minted);
    const other = await tokens.mint(TENANT, SESSION, 7);
    expect(other.text).not.toBe(minted.text);
  });

  it("refuses tokens of another tenant, with a changed body or tag, or in another format", async () => {
    const tokens = await codec();
    const { text } = await tokens.mint(TENANT, SESSION, 0);
    const [prefix, body = "", tag = ""] = text.split(".");
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    const bad: unknown[] = [
      text.slice(0, -1),
      `${prefix}.${flip(body, 5)}.${tag}`,
      `${prefix}.${body}.${flip(tag, 10)}`,
      `${prefix}.${body}.k2${tag.slice(2)}`,
      `rt2.${body}.${tag}`,
      `${text}.x`,
      `${prefix}.${body}=.${tag}`,
      "",
      42,
      null,
      "x".repeat(10_000),
    ];
    for (const candidate of bad) expect(await tokens.parse(TENANT, candidate)).toBeUndefined();
    expect(await tokens.parse("00000000-0000-4000-8000-000000000000", text)).toBeUndefined();
  });

  it("refuses a token minted under a key the service does not hold", async () => {
    const { text } = await (await codec([key("k1")])).mint(TENANT, SESSION, 0);
    expect(await (await codec([key("k1")])).parse(TENANT, text)).toBeUndefined();
  });

  it("keeps accepting tokens of an older encryption key while it is configured", async () => {
    const old = key("k1");
    const { text } = await (await codec([old])).mint(TENANT, SESSION, 3);
    const rotated = await codec([key("k2"), old]);
    expect((await rotated.parse(TENANT, text))?.generation).toBe(3);
    expect((await rotated.mint(TENANT, SESSION, 4)).text).toContain(".k2:");
  });

  it("seals a successor that only the token it replaces opens", async () => {
    const tokens = await codec();
    const previous = await tokens.mint(TENANT, SESSION, 0);
    const next = await tokens.mint(TENANT, SESSION, 1);
    const sealed = await tokens.sealSuccessor(previous.text, next.text);
    expect(sealed).not.toContain(next.text.split(".")[1]);
    expect(await tokens.openSuccessor(previous.text, sealed)).toBe(next.text);
    expect(await tokens.openSuccessor(next.text, sealed)).toBeUndefined();
    expect(await tokens.openSuccessor(previous.hash, sealed)).toBeUndefined();
    expect(await tokens.openSuccessor(previous.text, "garbage")).toBeUndefined();
  });
});
