import type { MailMessage } from "../ports/mail.js";
import { DIRECTION_CONTROLS, LINE_BREAKING } from "../text-rules.js";
import { catalogueFor, type LinkCopy, type MailCatalogue, type NoticeCopy } from "./catalogue.js";
import { mailHtml } from "./mail-html.js";

/** How a tenant's mails look and which language they speak. */
export interface MailBranding {
  tenantName: string;
  /** Shown only when it is an https URL. */
  logoUrl: string | null;
  /** The button's colour, only when it is `#rrggbb`. */
  accentColor: string | null;
  /** BCP 47 (`de`, `de-CH`); English when there is no catalogue for it. */
  language: string;
}

export type MailTemplate =
  /** Verify this address (signup, on request). */
  | { kind: "verify_email"; link: string; expiresInMinutes: number }
  | { kind: "password_reset"; link: string; expiresInMinutes: number }
  /** To the new address: confirm it. */
  | { kind: "email_change"; link: string; expiresInMinutes: number }
  /** To the old address: a change to newEmail was requested; resetting the password cancels it. */
  | { kind: "email_change_notice"; newEmail: string }
  /** To the new address when it already has an account: nothing changed. */
  | { kind: "email_in_use" }
  /** After a password change or reset. */
  | { kind: "password_changed" };

export type MailKind = MailTemplate["kind"];

const KINDS: Record<MailKind, true> = {
  verify_email: true,
  password_reset: true,
  email_change: true,
  email_change_notice: true,
  email_in_use: true,
  password_changed: true,
};
/** Every kind of mail, for metrics' label sets. */
export const MAIL_KINDS = Object.keys(KINDS) as MailKind[];

/**
 * Control characters (CR, LF, tab, NUL, DEL, C1) and Unicode's line and
 * paragraph separators: in a subject they would end the header or fold it
 * (RFC 5322 §2.2); in a body they could fake a new paragraph.
 */
const BREAKS = new RegExp(`[${LINE_BREAKING}]`, "g");
/**
 * Bidi embedding, override and isolate controls (refused in names since, but
 * perhaps stored before): in a plain-text subject or line nothing would end
 * them, so they would reorder the rest of the sentence.
 */
const DIRECTION = new RegExp(`[${DIRECTION_CONTROLS}]`, "g");
const oneLine = (value: string) => value.replace(BREAKS, " ").replace(DIRECTION, "");

interface Content {
  copy: NoticeCopy;
  link?: { url: string; action: string; expiry: string };
  /** Paragraphs after the link. */
  after: string[];
}

function withLink(copy: LinkCopy, url: string, expiry: string): Content {
  const { protocol } = new URL(url);
  // The links are this service's own pages; anything else is a bug, never a mail.
  if (protocol !== "https:" && protocol !== "http:") throw new Error(`A mail link must be http(s), not ${protocol}`);
  return { copy, link: { url, action: copy.action, expiry }, after: copy.after };
}

function contentOf(template: MailTemplate, strings: MailCatalogue, tenant: string): Content {
  switch (template.kind) {
    case "verify_email":
    case "password_reset":
    case "email_change":
      return withLink(strings[template.kind](tenant), template.link, strings.expiresIn(template.expiresInMinutes));
    case "email_change_notice":
      return { copy: strings.email_change_notice(tenant, oneLine(template.newEmail)), after: [] };
    case "email_in_use":
    case "password_changed":
      return { copy: strings[template.kind](tenant), after: [] };
  }
}

function plainText(greeting: string, { copy, link, after }: Content, footer: string): string {
  const blocks = [greeting, ...copy.body, ...(link ? [`${link.action}:\n${link.url}`, link.expiry] : []), ...after];
  return `${blocks.join("\n\n")}\n\n-- \n${footer}\n`;
}

/**
 * One mail of a kind, to one recipient, in the tenant's language and look:
 * a plain-text part and an HTML part saying the same. Every interpolated
 * value is put on one line, and escaped in the HTML part.
 */
export function renderMail(template: MailTemplate, to: string, branding: MailBranding): MailMessage {
  const strings = catalogueFor(branding.language);
  const tenant = oneLine(branding.tenantName);
  const content = contentOf(template, strings, tenant);
  const greeting = strings.greeting;
  const footer = strings.footer(tenant);
  const { copy, link, after } = content;
  return {
    to,
    subject: copy.subject,
    text: plainText(greeting, content, footer),
    html: mailHtml({
      language: strings.language,
      subject: copy.subject,
      tenantName: tenant,
      logoUrl: branding.logoUrl,
      accentColor: branding.accentColor,
      heading: copy.heading,
      greeting,
      body: copy.body,
      link: link && { ...link, fallback: strings.linkFallback },
      after,
      footer,
    }),
    kind: template.kind,
  };
}
