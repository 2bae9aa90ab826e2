/**
 * A tiny Worker around the email rule, for test/runtime/email.worker.test.ts:
 * bundled by wrangler and run inside workerd by Miniflare, so the IDNA mapping
 * (workerd's own URL parser) and the Unicode properties (its V8) are workerd's.
 *
 *   POST /check  {inputs: string[]}      -> {results: EmailCheck[], keys: lookupKeysOf each}
 *   POST /sweep  {codePoints: number[]}  -> {verdicts: string[]} (sweepVerdicts)
 *   POST /known  {}                      -> {known: number} (knownOutsideTable)
 */
import { checkEmail, lookupKeysOf } from "../../src/core/accounts/email.js";
import { hasLaterCharacter } from "../../src/core/accounts/unicode-shared.js";

/**
 * One line per code point: the verdict on an address holding it in the local
 * part, in the middle of a domain label and as a label of its own (the
 * normalised address and its keys, or the problem).
 */
export function sweepVerdicts(codePoints: number[]): string[] {
  return codePoints.map((codePoint) => {
    const char = String.fromCodePoint(codePoint);
    return [`x${char}@example.com`, `x@a${char}b.com`, `x@${char}.com`]
      .map((input) => {
        const { email, problem } = checkEmail(input);
        return email ? [email.address, email.lookupKey, ...email.searchKeys].join(" ") : problem;
      })
      .join(" | ");
  });
}

/** How many code points the engine knows (\p{Assigned}) outside the table of Unicode 17 additions. */
export function knownOutsideTable(): number {
  let known = 0;
  for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
    const char = String.fromCodePoint(codePoint);
    if (/\p{Assigned}/u.test(char) && !hasLaterCharacter(char)) known++;
  }
  return known;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const body = (await request.json()) as { inputs: string[]; codePoints: number[] };
    if (path === "/sweep") return Response.json({ verdicts: sweepVerdicts(body.codePoints) });
    if (path === "/known") return Response.json({ known: knownOutsideTable() });
    return Response.json({
      results: body.inputs.map((input) => checkEmail(input)),
      keys: body.inputs.map((input) => lookupKeysOf(input)),
    });
  },
};
