import { generateHOTP } from "@oslojs/otp";

const STEP_MS = 30_000;
/** Time left in a step below which a code is not made: the server must check it in the same step. */
const MARGIN_MS = 3_000;

/**
 * RFC 6238 with the app's parameters (SHA-1, 6 digits, 30 s), `offset`
 * steps from now. A code of the previous step is accepted only while the
 * server is in this one, so the last seconds of a step are waited out first.
 */
export async function totpCode(secret: Uint8Array, offset = 0): Promise<string> {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, left + 50));
  return generateHOTP(secret, BigInt(Math.floor(Date.now() / STEP_MS) + offset), 6);
}
