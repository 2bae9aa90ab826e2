import { Hono } from "hono";
import { z } from "zod";
import { errors } from "../../core/errors.js";
import { inBackground } from "../background.js";
import type { AppEnv } from "../context.js";
import { ForgotPage, type FormProblems, ResetPage, VerifyPage } from "../pages/account-pages.js";
import { fieldProblems, parseFields, readForm } from "../pages/forms.js";
import { MessagePage } from "../pages/message-page.js";
import { pageContext, sendPage } from "../pages/page.js";
import { email, mailedToken, password } from "../schemas.js";

/**
 * The pages of the mailed flows: asking for a reset link, and the two links
 * a mail carries (reset, verify). GET only renders (mail scanners fetch
 * links); the POST does the work, through the same core flows as the JSON routes.
 */

const ForgotFields = z.object({ email });
const ResetFields = z.object({ token: mailedToken, password });

/** The `token` of a mailed link's URL, or 400 `invalid_token` (an error page) when it cannot be one. */
function linkToken(value: string | undefined): string {
  const parsed = mailedToken.min(1).safeParse(value);
  if (!parsed.success) throw errors.invalidAccountToken();
  return parsed.data;
}

export const hostedPasswordRoutes = new Hono<AppEnv>()
  .get("/t/:tenant/password/forgot", async (c) => {
    const page = await pageContext(c);
    return sendPage(c, page, ForgotPage({ page }));
  })
  .post("/t/:tenant/password/forgot", async (c) => {
    const form = await readForm(c);
    const page = await pageContext(c);
    const fields = parseFields(ForgotFields, form);
    if (!fields.ok) {
      const problems = { message: page.strings.errors.invalidForm, ...fields.problems };
      return sendPage(c, page, ForgotPage({ page, email: form.email, problems }), { status: 400 });
    }
    try {
      await c.get("services").passwordFlows.forgot(c.get("tenant"), fields.value.email, inBackground(c));
    } catch (error) {
      const problems = fieldProblems(error, page.strings.errors.invalidForm);
      if (!problems) throw error;
      return sendPage(c, page, ForgotPage({ page, email: form.email, problems }), { status: 400 });
    }
    // The same answer whether or not an account has the address (as the JSON route's 202).
    return sendPage(c, page, ForgotPage({ page, sent: true }));
  })
  .get("/t/:tenant/password/reset", async (c) => {
    const token = linkToken(c.req.query("token"));
    const page = await pageContext(c);
    return sendPage(c, page, ResetPage({ page, token }));
  })
  .post("/t/:tenant/password/reset", async (c) => {
    const form = await readForm(c);
    const token = linkToken(form.token);
    const page = await pageContext(c);
    const again = (problems: FormProblems) => sendPage(c, page, ResetPage({ page, token, problems }), { status: 400 });
    const fields = parseFields(ResetFields, form);
    if (!fields.ok) return again({ message: page.strings.errors.invalidForm, ...fields.problems });
    try {
      await c.get("services").passwordFlows.reset(c.get("tenant"), token, fields.value.password, inBackground(c));
    } catch (error) {
      const problems = fieldProblems(error, page.strings.errors.invalidForm);
      if (!problems) throw error;
      return again(problems);
    }
    const s = page.strings.reset;
    const link = { href: `/t/${c.get("tenant").slug}/login`, text: s.signIn };
    return sendPage(c, page, MessagePage({ page, title: s.title, kind: "info", message: s.done, link }));
  })
  .get("/t/:tenant/email/verify", async (c) => {
    const token = linkToken(c.req.query("token"));
    const page = await pageContext(c);
    return sendPage(c, page, VerifyPage({ page, token }));
  })
  .post("/t/:tenant/email/verify", async (c) => {
    const form = await readForm(c);
    await c.get("services").emailFlows.verify(c.get("tenant"), linkToken(form.token));
    const page = await pageContext(c);
    const s = page.strings.verify;
    return sendPage(c, page, MessagePage({ page, title: s.title, kind: "info", message: s.done }));
  });
