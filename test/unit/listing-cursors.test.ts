/**
 * Listing cursors: a MAC under the sealing keys binds each to its listing
 * (and tenant); one signed under a key still configured keeps working after
 * a rotation, and none survives its key's removal or any change.
 */
import { describe, expect, it } from "vitest";
import { Sealer } from "../../src/core/crypto/sealing.js";
import { Cursors } from "../../src/core/pagination/cursor.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";

const key = (id: string, seed: number) => ({ id, key: Uint8Array.from({ length: 32 }, (_, i) => (i * seed) % 256) });
const cursorsUnder = async (...keys: ReturnType<typeof key>[]) => new Cursors(await Sealer.create(keys, cryptoRandom));

describe("listing cursors", () => {
  it("give back the parts of a cursor the listing handed out, also after a key rotation", async () => {
    const before = await cursorsUnder(key("k1", 7));
    const cursor = await before.encode("users:t1", "2026-12-01T00:00:00.000000Z", "id-1");
    expect(await before.decode("users:t1", cursor)).toEqual(["2026-12-01T00:00:00.000000Z", "id-1"]);
    const rotated = await cursorsUnder(key("k2", 11), key("k1", 7));
    expect(await rotated.decode("users:t1", cursor)).toEqual(["2026-12-01T00:00:00.000000Z", "id-1"]);
    expect((await rotated.encode("users:t1", "x")).split(".")[1]).toBe("k2");
    // The key left the configuration: its cursors stop.
    expect(await (await cursorsUnder(key("k2", 11))).decode("users:t1", cursor)).toBeNull();
  });

  it("refuse another listing's or tenant's cursor, a changed one, and anything else", async () => {
    const cursors = await cursorsUnder(key("k1", 7));
    const cursor = await cursors.encode("users:t1", "a", "b");
    const [body = "", keyId = "", tag = ""] = cursor.split(".");
    const otherBody = Buffer.from("a/c").toString("base64url");
    const flipped = `${tag.slice(0, -1)}${tag.endsWith("A") ? "B" : "A"}`;
    for (const [listing, bad] of [
      ["users:t2", cursor],
      ["audit-events:t1", cursor],
      ["users:t1", `${otherBody}.${keyId}.${tag}`],
      ["users:t1", `${body}.${keyId}.${flipped}`],
      ["users:t1", `${body}.k9.${tag}`],
      ["users:t1", `${body}.${keyId}.${tag}.x`],
      ["users:t1", `${body}.${keyId}`],
      ["users:t1", body],
      ["users:t1", ""],
      ["users:t1", "%%%.k1.AAAAAAAAAAAAAAAAAAAAAA"],
    ]) {
      expect(await cursors.decode(listing as string, bad as string), `${listing} ${bad}`).toBeNull();
    }
  });
});
