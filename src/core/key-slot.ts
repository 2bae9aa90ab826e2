/**
 * Redis Cluster's hash slots (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/):
 * a key lives in slot CRC16(key) mod 16384, where only the part between the
 * first `{` and the next `}` counts when that part is not empty (the key's
 * hash tag). A script may only touch keys of one slot, so every multi-key
 * script here is called with keys sharing one tag.
 */
const SLOT_COUNT = 16_384;

/** CRC16/XMODEM (polynomial 0x1021, initial value 0), the checksum the spec names. */
const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

const utf8 = new TextEncoder();

/** The part of a key that is hashed: its hash tag when it has a non-empty one, otherwise all of it. */
function hashedPart(key: string): string {
  const open = key.indexOf("{");
  if (open < 0) return key;
  const close = key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/** The slot Redis Cluster stores `key` in (what `CLUSTER KEYSLOT key` answers). */
export function hashSlot(key: string): number {
  let crc = 0;
  for (const byte of utf8.encode(hashedPart(key))) {
    crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  }
  return crc % SLOT_COUNT;
}

/**
 * Throws what Redis Cluster answers (CROSSSLOT) when the keys of one script
 * span several slots: the in-memory store refuses them too, so a script that
 * would fail on a cluster fails in every test.
 */
export function assertOneSlot(keys: readonly string[]): void {
  const [first, ...rest] = keys;
  if (first === undefined) return;
  const slot = hashSlot(first);
  if (rest.some((key) => hashSlot(key) !== slot)) {
    throw new Error(`CROSSSLOT Keys in request don't hash to the same slot: ${keys.length} keys`);
  }
}
