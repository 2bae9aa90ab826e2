import type { FieldError } from "../errors.js";

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

let common: Promise<Set<string>> | undefined;

/**
 * The bundled list of the most common breached passwords (the ranked list of
 * @zxcvbn-ts/language-common, about 49,000 entries; those shorter than the
 * minimum length are left out, the length rule already refuses them). Loaded
 * on first use, so start-up does not pay for it.
 */
function commonPasswords(): Promise<Set<string>> {
  common ??= import("@zxcvbn-ts/language-common").then(
    ({ dictionary }) =>
      new Set(
        dictionary["passwords-common"].filter((p) => [...p].length >= PASSWORD_MIN_LENGTH).map((p) => p.toLowerCase()),
      ),
  );
  return common;
}

/**
 * Passwords are compared and hashed in Unicode NFKC (NIST SP 800-63B
 * §5.1.1.2), so the same text typed two ways matches: composed or not, and
 * full-width letters from an East Asian keyboard.
 */
export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

/** The form hashes made before the NFKC rule hold, when it differs from today's; else null. */
export function formerPasswordForm(password: string): string | null {
  const former = password.normalize("NFC");
  return former === normalizePassword(password) ? null : former;
}

/**
 * NIST SP 800-63B §5.1.1.2 for a new password, as given (not normalised):
 * its length in code points ("each Unicode code point SHALL be counted as a
 * single character"), before NFKC, which can make one code point 18 (U+FDFA);
 * no composition rules; refuse known-breached and context-specific passwords
 * (compared in NFKC, as logins are). At most 256 code points given, the
 * hashed NFKC form is at most 4,608 code points (8,448 UTF-8 bytes).
 */
export async function checkPassword(password: string, email?: string): Promise<FieldError[]> {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return [{ path: "password", message: `must be at least ${PASSWORD_MIN_LENGTH} characters long` }];
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return [{ path: "password", message: `must be at most ${PASSWORD_MAX_LENGTH} characters long` }];
  }
  const lower = normalizePassword(password).toLowerCase();
  if ((await commonPasswords()).has(lower)) {
    return [{ path: "password", message: "is one of the most common passwords; choose another" }];
  }
  if (email) {
    const address = email.normalize("NFKC").toLowerCase();
    if (lower === address || lower === address.slice(0, address.indexOf("@"))) {
      return [{ path: "password", message: "must not be the email address" }];
    }
  }
  return [];
}
