import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { inBackground } from "../background.js";
import type { AppEnv } from "../context.js";
import { ForgotPage, type FormProblems, ResetPage, VerifyPage } from "../pages/account-pages.js";
import { fieldProblems, parseFields, readForm } from "../pages/forms.js";
import { DeadLinkPage, errorMessage, MessagePage } from "../pages/message-page.js";
import { type PageContext, pageContext, sendPage } from "../pages/page.js";
import { email, password } from "../schemas.js";

/**
 * The pages of the mailed flows: asking for a reset link, and the two links
 * a mail carries (reset, verify). GET only renders, after checking the link
 * without spending it (mail scanners fetch links); the POST does the work,
 * through the same core flows as the JSON routes, and redirects to a done
 * page (POST/Redirect/GET), so reloading it does not post a spent link again.
 */

const ForgotFields = z.object({ email });
const ResetFields = z.object({ password });

/**
 * `render`'s page, or the page of a dead link (400, with the way to a new
 * one) when the link's token is unknown, spent or expired. A missing or
 * malformed token is one of those: the core finds no token for it.
 */
async function unlessDead(
  c: Context<AppEnv>,
  page: PageContext,
  link: "reset" | "verify",
  render: () => Promise<Response>,
): Promise<Response> {
  try {
    return await render();
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== "invalid_token") throw error;
    return sendPage(c, page, DeadLinkPage({ page, link }), { status: error.status });
  }
}

export const hostedPasswordRoutes = new Hono<AppEnv>()
  .get("/t/:tenant/password/forgot", async (c) => {
    const page = await pageContext(c);
    return sendPage(c, page, ForgotPage({ page }), { script: "forms" });
  })
  .post("/t/:tenant/password/forgot", async (c) => {
    const form = await readForm(c);
    const page = await pageContext(c);
    const fields = parseFields(ForgotFields, form);
    if (!fields.ok) {
      const problems = { message: page.strings.errors.invalidForm, ...fields.problems };
      return sendPage(c, page, ForgotPage({ page, email: form.email, problems }), {
        status: 400,
        script: "forms",
      });
    }
    try {
      await c.get("services").passwordFlows.forgot(c.get("tenant"), fields.value.email, inBackground(c));
    } catch (error) {
      const problems = fieldProblems(error, page.strings.errors.invalidForm);
      if (!problems) throw error;
      return sendPage(c, page, ForgotPage({ page, email: form.email, problems }), {
        status: 400,
        script: "forms",
      });
    }
    // The same answer whether or not an account has the address (as the JSON route's 202); a
    // reload of the page it redirects to shows it again rather than sending a second mail.
    return c.redirect(`${page.base}/password/forgot/sent`, 303);
  })
  .get("/t/:tenant/password/forgot/sent", async (c) => {
    const page = await pageContext(c);
    return sendPage(c, page, ForgotPage({ page, sent: true }));
  })
  .get("/t/:tenant/password/reset", async (c) => {
    const token = c.req.query("token") ?? "";
    const page = await pageContext(c);
    return unlessDead(c, page, "reset", async () => {
      const { passwordFlows, accounts } = c.get("services");
      const user = await passwordFlows.resetAccount(c.get("tenant"), token);
      return sendPage(c, page, ResetPage({ page, token, email: await accounts.address(user) }), {
        script: "forms",
      });
    });
  })
  .post("/t/:tenant/password/reset", async (c) => {
    const form = await readForm(c);
    const token = form.token ?? "";
    const page = await pageContext(c);
    return unlessDead(c, page, "reset", async () => {
      const { passwordFlows, accounts } = c.get("services");
      const tenant = c.get("tenant");
      const user = await passwordFlows.resetAccount(tenant, token);
      const again = async (problems: FormProblems) =>
        sendPage(c, page, ResetPage({ page, token, email: await accounts.address(user), problems }), {
          status: 400,
          script: "forms",
        });
      const fields = parseFields(ResetFields, form);
      if (!fields.ok) return again({ message: page.strings.errors.invalidForm, ...fields.problems });
      try {
        await passwordFlows.reset(tenant, token, fields.value.password, inBackground(c));
      } catch (error) {
        const problems = fieldProblems(error, page.strings.errors.invalidForm);
        if (!problems) throw error;
        return again(problems);
      }
      return c.redirect(`${page.base}/password/reset/done`, 303);
    });
  })
  .get("/t/:tenant/password/reset/done", async (c) => {
    const page = await pageContext(c);
    const s = page.strings.reset;
    const link = { href: `${page.base}/login`, text: s.signIn };
    return sendPage(c, page, MessagePage({ page, title: s.doneTitle, kind: "info", message: s.done, link }));
  })
  .get("/t/:tenant/email/verify", async (c) => {
    const token = c.req.query("token") ?? "";
    const page = await pageContext(c);
    return unlessDead(c, page, "verify", async () => {
      await c.get("services").emailFlows.checkLink(c.get("tenant"), token);
      return sendPage(c, page, VerifyPage({ page, token }));
    });
  })
  .post("/t/:tenant/email/verify", async (c) => {
    const form = await readForm(c);
    const page = await pageContext(c);
    return unlessDead(c, page, "verify", async () => {
      try {
        await c.get("services").emailFlows.verify(c.get("tenant"), form.token ?? "");
      } catch (error) {
        // An email change whose address another account took meanwhile: trying again would not help.
        if (!(error instanceof AppError) || error.code !== "email_taken") throw error;
        const { strings } = page;
        const message = errorMessage(strings, error);
        return sendPage(c, page, MessagePage({ page, title: strings.errors.title, kind: "error", message }), {
          status: error.status,
        });
      }
      return c.redirect(`${page.base}/email/verify/done`, 303);
    });
  })
  .get("/t/:tenant/email/verify/done", async (c) => {
    const page = await pageContext(c);
    const s = page.strings.verify;
    return sendPage(c, page, MessagePage({ page, title: s.doneTitle, kind: "info", message: s.done }));
  });
