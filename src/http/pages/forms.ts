import type { Context } from "hono";
import type { z } from "zod";
import { AppError, errors } from "../../core/errors.js";
import type { AppEnv } from "../context.js";
import { isFormType } from "../middleware/body.js";
import { unsafeTextErrors } from "../unsafe-text.js";
import type { FormProblems } from "./account-pages.js";
import { checkCsrf } from "./browser.js";

/**
 * A hosted page's submitted form: urlencoded only (415 otherwise), text
 * values only, none with characters storage cannot hold, and the CSRF token
 * of this browser (403 otherwise). The first value of a repeated name counts.
 */
export async function readForm(c: Context<AppEnv>): Promise<Record<string, string>> {
  const form = await formFields(c);
  await checkCsrf(c, form.csrf, form.request);
  refuseUnsafeText(form);
  return form;
}

/**
 * The same, without the CSRF check: for the one form other sites send by
 * design (RP-Initiated Logout by POST), whose route guards itself.
 */
export async function readCrossSiteForm(c: Context<AppEnv>): Promise<Record<string, string>> {
  const form = await formFields(c);
  refuseUnsafeText(form);
  return form;
}

async function formFields(c: Context<AppEnv>): Promise<Record<string, string>> {
  if (!isFormType(c.req.header("content-type"))) {
    throw errors.unsupportedMediaType("application/x-www-form-urlencoded");
  }
  const form: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(await c.req.text())) {
    if (!Object.hasOwn(form, name)) form[name] = value;
  }
  return form;
}

function refuseUnsafeText(form: Record<string, string>): void {
  const unsafe = unsafeTextErrors(form);
  if (unsafe.length > 0) throw errors.validation(unsafe);
}

/** The form's fields through the JSON route's schema (same bounds); field problems for the page when they fail. */
export function parseFields<T extends z.ZodType>(
  schema: T,
  form: Record<string, string>,
): { ok: true; value: z.infer<T> } | { ok: false; problems: FormProblems } {
  const result = schema.safeParse(form);
  if (result.success) return { ok: true, value: result.data };
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) fields[String(issue.path[0] ?? "form")] ??= issue.message;
  return { ok: false, problems: { fields } };
}

/** A core validation failure (the password policy's words) as field problems of the page, or null for any other error. */
export function fieldProblems(error: unknown, message: string): FormProblems | null {
  if (!(error instanceof AppError) || error.code !== "validation_failed") return null;
  const list = (error.extra.errors ?? []) as { path: string; message: string }[];
  const fields: Record<string, string> = {};
  for (const { path, message: text } of list) fields[path] ??= text;
  return { message, fields };
}
