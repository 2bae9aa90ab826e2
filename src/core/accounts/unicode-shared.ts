/**
 * The characters on which every runtime of the service reads an email
 * address alike. Regex properties (\p{Script=…}, \p{L}) come from the
 * engine's ICU and the domain's IDNA mapping from its URL parser, each at its
 * own Unicode version: Node 20.20 has Unicode 17.0 (ICU 78) and UTS #46 15.0
 * (ada 2.9.2), workerd 1.20260426 has Unicode 16.0 in both. An address
 * holding a character only one of them knows would be valid on one runtime
 * and refused (or mapped otherwise) on the other, so such characters are
 * refused everywhere.
 *
 * Derived by running, in Node and inside workerd (Miniflare), a probe over
 * every code point: `\p{Assigned}`, the properties the rule reads, and
 * `new URL("http://…")` on each lower-cased letter or digit in a few label
 * positions, then listing where the two disagree. test/unit/email.test.ts
 * and test/runtime/email.worker.test.ts fail when an engine knows other
 * characters than these tables assume (regenerate them then).
 */

type Ranges = readonly (readonly [number, number])[];

/**
 * The 4,803 characters Unicode 17.0 added (assigned in Node 20.20, not in
 * workerd): refused anywhere in an address, as unassigned.
 */
// biome-ignore format: one range a line would make this table 50 lines long
const AFTER_UNICODE_16: Ranges = [
  [0x088f, 0x088f], [0x0c5c, 0x0c5c], [0x0cdc, 0x0cdc], [0x1acf, 0x1add], [0x1ae0, 0x1aeb], [0x20c1, 0x20c1],
  [0x2b96, 0x2b96], [0xa7ce, 0xa7cf], [0xa7d2, 0xa7d2], [0xa7d4, 0xa7d4], [0xa7f1, 0xa7f1], [0xfbc3, 0xfbd2],
  [0xfd90, 0xfd91], [0xfdc8, 0xfdce], [0x10940, 0x10959], [0x10ec5, 0x10ec7], [0x10ed0, 0x10ed8],
  [0x10efa, 0x10efb], [0x11b60, 0x11b67], [0x11db0, 0x11ddb], [0x11de0, 0x11de9], [0x16ea0, 0x16eb8],
  [0x16ebb, 0x16ed3], [0x16ff2, 0x16ff6], [0x187f8, 0x187ff], [0x18d09, 0x18d1e], [0x18d80, 0x18df2],
  [0x1ccfa, 0x1ccfc], [0x1ceba, 0x1ced0], [0x1cee0, 0x1cef0], [0x1e6c0, 0x1e6de], [0x1e6e0, 0x1e6f5],
  [0x1e6fe, 0x1e6ff], [0x1f6d8, 0x1f6d8], [0x1f777, 0x1f77a], [0x1f8d0, 0x1f8d8], [0x1fa54, 0x1fa57],
  [0x1fa8a, 0x1fa8a], [0x1fa8e, 0x1fa8e], [0x1fac8, 0x1fac8], [0x1facd, 0x1facd], [0x1faea, 0x1faea],
  [0x1faef, 0x1faef], [0x1fbfa, 0x1fbfa], [0x2b73a, 0x2b73f], [0x2cea2, 0x2cead], [0x323b0, 0x33479],
];

/**
 * Letters and digits the two URL parsers map differently in a domain (one
 * refuses what the other maps): those Unicode 15.1 and 16.0 added (Garay,
 * Todhri, Egyptian hieroglyphs extension A, CJK extension I…), five CJK
 * compatibility ideographs whose mapping UTS #46 15.1 changed, and the Hangul
 * fillers (refused anyway as invisible). Refused in the domain only.
 */
// biome-ignore format: one range a line would make this table 40 lines long
const IDNA_DIFFERS: Ranges = [
  [0x115f, 0x1160], [0x1c89, 0x1c8a], [0x3164, 0x3164], [0xa7cc, 0xa7cd], [0xa7da, 0xa7db], [0xffa0, 0xffa0],
  [0x105c0, 0x105f3], [0x10d40, 0x10d65], [0x10d6f, 0x10d85], [0x10ec2, 0x10ec4], [0x11380, 0x11389],
  [0x1138b, 0x1138b], [0x1138e, 0x1138e], [0x11390, 0x113b5], [0x113b7, 0x113b7], [0x113d1, 0x113d1],
  [0x113d3, 0x113d3], [0x116d0, 0x116e3], [0x11bc0, 0x11be0], [0x11bf0, 0x11bf9], [0x13460, 0x143fa],
  [0x16100, 0x1611d], [0x16130, 0x16139], [0x16d40, 0x16d6c], [0x16d70, 0x16d79], [0x18cff, 0x18cff],
  [0x1ccf0, 0x1ccf9], [0x1e5d0, 0x1e5ed], [0x1e5f0, 0x1e5fa], [0x2ebf0, 0x2ee5d], [0x2f868, 0x2f868],
  [0x2f874, 0x2f874], [0x2f91f, 0x2f91f], [0x2f95f, 0x2f95f], [0x2f9bf, 0x2f9bf],
];

/** Whether `codePoint` is in one of the sorted, disjoint `ranges` (binary search). */
function within(ranges: Ranges, codePoint: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [first, last] = ranges[middle] as readonly [number, number];
    if (codePoint < first) high = middle - 1;
    else if (codePoint > last) low = middle + 1;
    else return true;
  }
  return false;
}

const some = (text: string, test: (codePoint: number) => boolean) => {
  for (const char of text) if (test(char.codePointAt(0) as number)) return true;
  return false;
};

/** Whether `text` holds a character Unicode 17.0 added (one not every runtime knows). */
export function hasLaterCharacter(text: string): boolean {
  return some(text, (codePoint) => within(AFTER_UNICODE_16, codePoint));
}

/** Whether a domain holds a character the runtimes' URL parsers map differently. */
export function hasIdnaDifference(domain: string): boolean {
  return some(domain, (codePoint) => within(IDNA_DIFFERS, codePoint));
}
