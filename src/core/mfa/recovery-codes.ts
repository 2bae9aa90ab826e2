import type { Random } from "../ports/clock.js";

const RECOVERY_CODE_COUNT = 10;
// RFC 4648 base32's alphabet, lowercased: no 0/1/8/9 to confuse with o/l/b/g.
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** Ten codes of 10 base32 characters (50 bits) each, shown as `xxxxx-xxxxx`. */
export function newRecoveryCodes(random: Random): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    // 256 is a multiple of 32, so the low five bits of a byte are uniform.
    const chars = Array.from(random.bytes(10), (byte) => ALPHABET[byte & 31]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** The code as it is hashed (no separator, lowercase), or null when it cannot be one. */
export function canonicalRecoveryCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, "").toLowerCase();
  return /^[a-z2-7]{10}$/.test(code) ? code : null;
}
