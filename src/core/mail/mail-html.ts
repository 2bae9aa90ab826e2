import { textOn } from "../color-contrast.js";
import { escapeHtml } from "../html-escape.js";

/** The HTML part's content, every value plain text: this file escapes each one. */
export interface HtmlMailContent {
  language: string;
  subject: string;
  tenantName: string;
  /** Used only when it is an https URL. */
  logoUrl: string | null;
  /** Used only when it is `#rrggbb`. */
  accentColor: string | null;
  heading: string;
  greeting: string;
  body: string[];
  link?: { url: string; action: string; fallback: string; expiry: string };
  after: string[];
  footer: string;
}

const DEFAULT_ACCENT = "#2563eb";
const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;
const FONT = "font-family:Arial,Helvetica,sans-serif;";

/** An https logo only: an http one is mixed content most clients block, anything else (javascript:, data:) is refused. */
function httpsUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

const paragraph = (text: string, style = "") => `<p style="margin:0 0 16px;${style}">${escapeHtml(text)}</p>`;

function button(url: string, label: string, accent: string): string {
  const href = escapeHtml(url);
  return `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 24px;"><tr>
<td bgcolor="${accent}" style="border-radius:6px;background-color:${accent};"><a href="${href}" target="_blank" style="display:inline-block;padding:12px 24px;${FONT}font-size:16px;font-weight:bold;line-height:20px;color:${textOn(accent)};text-decoration:none;border-radius:6px;">${escapeHtml(label)}</a></td>
</tr></table>`;
}

/**
 * A layout mail clients render alike: nested tables, inline styles only,
 * no external stylesheet, font or script, 560 px wide at most. The logo and
 * accent colour are the tenant's when they are safe to use.
 */
export function mailHtml(mail: HtmlMailContent): string {
  const accent = mail.accentColor && HEX_COLOR.test(mail.accentColor) ? mail.accentColor.toLowerCase() : DEFAULT_ACCENT;
  const logo = httpsUrl(mail.logoUrl);
  const link = mail.link;
  const rows = [
    logo
      ? `<tr><td style="padding:32px 32px 0;"><img src="${escapeHtml(logo)}" alt="${escapeHtml(mail.tenantName)}" height="40" style="display:block;height:40px;width:auto;border:0;"></td></tr>`
      : `<tr><td style="padding:32px 32px 0;${FONT}font-size:18px;font-weight:bold;color:#18181b;">${escapeHtml(mail.tenantName)}</td></tr>`,
    `<tr><td style="padding:24px 32px 8px;${FONT}font-size:16px;line-height:24px;color:#18181b;">`,
    `<h1 style="margin:0 0 16px;${FONT}font-size:22px;line-height:28px;color:#18181b;">${escapeHtml(mail.heading)}</h1>`,
    paragraph(mail.greeting),
    ...mail.body.map((text) => paragraph(text)),
    ...(link
      ? [
          button(link.url, link.action, accent),
          paragraph(link.fallback, "font-size:14px;line-height:20px;color:#52525b;"),
          `<p style="margin:0 0 16px;font-size:14px;line-height:20px;word-break:break-all;"><a href="${escapeHtml(link.url)}" target="_blank" style="color:#1d4ed8;">${escapeHtml(link.url)}</a></p>`,
          paragraph(link.expiry),
        ]
      : []),
    ...mail.after.map((text) => paragraph(text)),
    "</td></tr>",
    `<tr><td style="padding:16px 32px 32px;border-top:1px solid #e4e4e7;${FONT}font-size:12px;line-height:18px;color:#71717a;">${escapeHtml(mail.footer)}</td></tr>`,
  ];
  return `<!DOCTYPE html>
<html lang="${escapeHtml(mail.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${escapeHtml(mail.subject)}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f4f5;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f5;"><tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background-color:#ffffff;border-radius:8px;">
${rows.join("\n")}
</table>
</td></tr></table>
</body>
</html>
`;
}
