/**
 * A tiny Worker around the email rule, for test/runtime/email.worker.test.ts:
 * bundled by wrangler and run inside workerd by Miniflare, so the IDNA mapping
 * (workerd's own URL parser) and the Unicode properties (its V8) are workerd's.
 *
 *   POST /check  {inputs: string[]}  -> {results: EmailCheck[]}
 */
import { checkEmail } from "../../src/core/accounts/email.js";

export default {
  async fetch(request: Request): Promise<Response> {
    const { inputs } = (await request.json()) as { inputs: string[] };
    return Response.json({ results: inputs.map((input) => checkEmail(input)) });
  },
};
