import { sha256Hex } from "../crypto/digest.js";
import type { Random } from "../ports/clock.js";

const RECOVERY_CODE_COUNT = 10;
// RFC 4648 base32's alphabet, lowercased: no 0/1/8/9 to confuse with o/l/b/g.
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
/**
 * 24 characters, 120 bits: NIST SP 800-63B §5.1.2.2 asks a key derivation
 * function of look-up secrets under 112 bits only, so one SHA-256 keeps a
 * check one indexed query while a database copy cannot be searched for them.
 */
const CODE_LENGTH = 24;
/** Releases before had 10 characters (50 bits): accepted until used or replaced. */
const EARLIER_LENGTH = 10;
const GROUP = 4;

/**
 * The stored value's format: `v2` for 24-character codes, `v1` for an earlier
 * release's 10-character ones (migration 0019 salted those it found).
 */
type Format = "v1" | "v2";

/** Ten codes of 24 base32 characters (120 bits) each, shown as `xxxx-xxxx-xxxx-xxxx-xxxx-xxxx`. */
export function newRecoveryCodes(random: Random): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    // 256 is a multiple of 32, so the low five bits of a byte are uniform.
    const chars = Array.from(random.bytes(CODE_LENGTH), (byte) => ALPHABET[byte & 31]).join("");
    return chars.match(new RegExp(`.{${GROUP}}`, "g"))?.join("-") ?? chars;
  });
}

/** The code as it is hashed (no separators or spaces, lowercase), or null when it cannot be one. */
function canonicalRecoveryCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, "").toLowerCase();
  if (!/^[a-z2-7]+$/.test(code)) return null;
  return code.length === CODE_LENGTH || code.length === EARLIER_LENGTH ? code : null;
}

/**
 * The values stored for new codes (as shown): SHA-256 over the tenant, the
 * user and the code's own SHA-256, so a search of the code space finds one
 * user's codes, never every user's at once. The inner SHA-256 is what
 * releases before stored, so their rows are salted without the codes.
 */
export function storedRecoveryCodes(tenantId: string, userId: string, codes: readonly string[]): Promise<string[]> {
  return Promise.all(
    codes.map(async (shown) => {
      const code = shown.replaceAll("-", "");
      return saltStoredHash(tenantId, userId, await sha256Hex(code), formatOf(code));
    }),
  );
}

/**
 * The stored values a typed code may have: its own, and for a 10-character
 * code also the bare SHA-256 a replica of an earlier release writes during a
 * rolling upgrade or after a rollback (the daily cleanup salts those). Null
 * when the input cannot be a code.
 */
export async function recoveryCodeCandidates(
  tenantId: string,
  userId: string,
  input: string,
): Promise<string[] | null> {
  const code = canonicalRecoveryCode(input);
  if (!code) return null;
  const bare = await sha256Hex(code);
  const salted = await saltStoredHash(tenantId, userId, bare, formatOf(code));
  return formatOf(code) === "v1" ? [salted, bare] : [salted];
}

/** An earlier release's stored value (a bare SHA-256 of a 10-character code), salted as migration 0019 does. */
export function saltEarlierHash(tenantId: string, userId: string, bare: string): Promise<string> {
  return saltStoredHash(tenantId, userId, bare, "v1");
}

async function saltStoredHash(tenantId: string, userId: string, codeHash: string, format: Format): Promise<string> {
  return `${format}:${await sha256Hex(`mfa_recovery_codes:${tenantId}:${userId}:${codeHash}`)}`;
}

const formatOf = (code: string): Format => (code.length === EARLIER_LENGTH ? "v1" : "v2");
