/**
 * The address part of a header value: `Name <address>` or a bare `address`.
 * Only what the mailers are handed (the sender setting, stored addresses), not
 * the whole RFC 5322 grammar.
 */
function split(value: string): { before: string; address: string; after: string } {
  const match = /^(.*<)([^<>]*)(>\s*)$/s.exec(value);
  return match
    ? { before: match[1] ?? "", address: match[2] ?? "", after: match[3] ?? "" }
    : { before: "", address: value, after: "" };
}

const NON_ASCII = /[^\p{ASCII}]/u;

/**
 * Whether the address has a non-ASCII local part. Such a mailbox has no
 * ASCII form (a local part has no A-label), so it goes out only in an
 * SMTPUTF8 transaction: over SMTP to a server that advertises SMTPUTF8, with
 * the parameter on MAIL (RFC 6531 §3.4, §3.7.1); RFC 5321 §4.1.2 mailboxes
 * are ASCII. A non-ASCII display name does not count: it is RFC 2047 encoded.
 */
export function needsSmtpUtf8(value: string): boolean {
  const { address } = split(value.trim());
  const at = address.lastIndexOf("@");
  return NON_ASCII.test(at === -1 ? address : address.slice(0, at));
}

/**
 * The header value with the address's domain in IDNA A-labels when its local
 * part is ASCII: then the mail needs no SMTPUTF8 (RFC 6531 §3.2: an ASCII
 * local part at an IDN domain goes out as A-labels) and every server takes
 * it. Addresses are stored that way already (../accounts/email.ts); this
 * holds for any other value handed to a mailer. Left as it is when the local
 * part is not ASCII (see needsSmtpUtf8) or the domain does not map.
 */
export function withAsciiDomain(value: string): string {
  const { before, address, after } = split(value);
  const at = address.lastIndexOf("@");
  const domain = address.slice(at + 1);
  if (at <= 0 || !NON_ASCII.test(domain) || needsSmtpUtf8(address)) return value;
  let host: string;
  try {
    // UTS #46 ToASCII as the WHATWG URL parser runs it, the same on Node and workerd.
    host = new URL(`http://${domain}`).hostname;
  } catch {
    return value;
  }
  return NON_ASCII.test(host) ? value : `${before}${address.slice(0, at)}@${host}${after}`;
}
