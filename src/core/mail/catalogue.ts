import { en } from "./locales/en.js";

/** A mail without a link: plain text, which the renderer escapes for HTML (no markup in a catalogue). */
export interface NoticeCopy {
  subject: string;
  heading: string;
  /** Paragraphs after the greeting. */
  body: string[];
}

/** A mail whose point is a link: the button's label and the paragraphs after the link. */
export interface LinkCopy extends NoticeCopy {
  action: string;
  after: string[];
}

/**
 * Every string of the mails in one language. Values come in as arguments
 * (the tenant's name, an address), already on one line.
 */
export interface MailCatalogue {
  /** The `lang` of the HTML part (BCP 47). */
  language: string;
  /** No name: whoever signs up first under an address chooses it, and would write it into the owner's mail. */
  greeting: string;
  /** Before the link as text, for when the button does not work. */
  linkFallback: string;
  expiresIn(minutes: number): string;
  footer(tenant: string): string;
  verify_email(tenant: string): LinkCopy;
  password_reset(tenant: string): LinkCopy;
  email_change(tenant: string): LinkCopy;
  email_change_notice(tenant: string, newEmail: string): NoticeCopy;
  email_in_use(tenant: string): NoticeCopy;
  password_changed(tenant: string): NoticeCopy;
}

/** By primary language subtag; a new language is its file in locales/ and a line here. */
const CATALOGUES: Record<string, MailCatalogue> = { en };

/** The catalogue for a tenant's language (`de`, `de-CH`, `pt_BR`), English when there is none. */
export function catalogueFor(language: string): MailCatalogue {
  const primary = language.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  return Object.hasOwn(CATALOGUES, primary) ? (CATALOGUES[primary] as MailCatalogue) : en;
}
