import { describe, expect, it } from "vitest";
import { MAIL_KINDS, type MailBranding, type MailTemplate, renderMail } from "../../src/core/mail/templates.js";

const LINK = "https://auth.example/t/acme/verify?token=Zm9vYmFy&x=1";
const branding: MailBranding = {
  tenantName: "Acme",
  logoUrl: "https://cdn.example/acme.png",
  accentColor: "#ff6600",
  language: "en",
};
const ada = "ada@example.com";

const templates: MailTemplate[] = [
  { kind: "verify_email", link: LINK, expiresInMinutes: 1440 },
  { kind: "password_reset", link: LINK, expiresInMinutes: 30 },
  { kind: "email_change", link: LINK, expiresInMinutes: 60 },
  { kind: "email_change_notice", newEmail: "ada.new@example.com" },
  { kind: "email_in_use" },
  { kind: "password_changed" },
];
const linked = templates.filter((t): t is Extract<MailTemplate, { link: string }> => "link" in t);

/** Every start tag of the HTML part as name and attribute names (values are quoted and hold no `"`). */
const tags = (html: string) =>
  [...html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)].map(([, name, rest]) => ({
    name: (name as string).toLowerCase(),
    attributes: [...(rest as string).replace(/"[^"]*"/g, "").matchAll(/([^\s=/]+)=/g)].map((m) => m[1]),
  }));
const LAYOUT_TAGS = ["html", "head", "meta", "title", "body", "table", "tr", "td", "h1", "p", "a", "img"];

/** The href of every <a> and the src of every <img> in the HTML part. */
const attributes = (html: string, name: "href" | "src") =>
  [...html.matchAll(new RegExp(`\\s${name}="([^"]*)"`, "g"))].map((m) => m[1]);

describe("renderMail", () => {
  it("covers every kind the metrics are labelled with", () => {
    expect(templates.map((t) => t.kind).sort()).toEqual([...MAIL_KINDS].sort());
  });

  it.each(templates)("$kind: a text and an HTML part, to the recipient, with the tenant in the subject", (template) => {
    const mail = renderMail(template, ada, branding);
    expect(mail).toMatchObject({ to: "ada@example.com", kind: template.kind });
    expect(mail.subject).toContain("Acme");
    // Never the account's name: whoever signed up first under the address chose it.
    expect(mail.text).toMatch(/^Hello,\n\n/);
    expect(mail.text).toContain("automated message from Acme");
    expect(mail.html).toMatch(/^<!DOCTYPE html>/);
    expect(mail.html).toContain('<html lang="en">');
    expect(mail.html).toContain("Hello,");
    // Mail-client-safe: no stylesheet, font, script or external resource but the logo.
    for (const tag of tags(mail.html)) expect(LAYOUT_TAGS).toContain(tag.name);
    expect(attributes(mail.html, "src")).toEqual(["https://cdn.example/acme.png"]);
  });

  it.each(linked)("$kind: the link as a button and as text, in both parts, with its expiry", (template) => {
    const mail = renderMail(template, ada, branding);
    const escaped = LINK.replace(/&/g, "&amp;");
    expect(mail.text).toContain(`\n${LINK}\n`);
    expect(mail.text).toContain("The link expires in");
    // The button and the fallback link carry the same href; the fallback also shows it as text.
    expect(attributes(mail.html, "href")).toEqual([escaped, escaped]);
    expect(mail.html).toContain(`>${escaped}</a>`);
    expect(mail.html).toContain("background-color:#ff6600");
  });

  it("says how long a link works in words", () => {
    const expiry = (minutes: number) =>
      renderMail({ kind: "password_reset", link: LINK, expiresInMinutes: minutes }, ada, branding).text;
    expect(expiry(30)).toContain("expires in 30 minutes.");
    expect(expiry(60)).toContain("expires in 1 hour.");
    expect(expiry(1440)).toContain("expires in 24 hours.");
    expect(expiry(2880)).toContain("expires in 2 days.");
  });

  it("names the new address in the notice to the old one, and has no link in the notices", () => {
    const notice = renderMail({ kind: "email_change_notice", newEmail: "ada.new@example.com" }, ada, branding);
    expect(notice.text).toContain("to ada.new@example.com.");
    expect(notice.text).toContain("reset your password");
    expect(notice.html).toContain("ada.new@example.com");
    for (const template of templates.filter((t) => !("link" in t))) {
      expect(attributes(renderMail(template, ada, branding).html, "href"), template.kind).toEqual([]);
    }
  });

  describe("HTML injection", () => {
    const hostile = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)"];

    it.each(hostile)("escapes %j in the tenant name and the new address", (evil) => {
      const mail = renderMail({ kind: "email_change_notice", newEmail: `${evil}@example.com` }, ada, {
        ...branding,
        tenantName: evil,
      });
      expect(mail.html).not.toContain(evil);
      // Only the layout's own tags, none with an event handler, and the one image: the logo.
      for (const tag of tags(mail.html)) {
        expect(LAYOUT_TAGS).toContain(tag.name);
        expect(tag.attributes.filter((name) => /^on/i.test(name as string))).toEqual([]);
      }
      expect(attributes(mail.html, "src")).toEqual(["https://cdn.example/acme.png"]);
      // The text part is plain text: the value as it was, on one line.
      expect(mail.text).toContain(`to ${evil}@example.com.`);
    });

    it("escapes the link inside its attributes", () => {
      const link = 'https://auth.example/reset?token=a"onclick="alert(1)';
      const mail = renderMail({ kind: "password_reset", link, expiresInMinutes: 30 }, ada, branding);
      expect(mail.html).not.toContain('"onclick="');
      expect(attributes(mail.html, "href")[0]).toBe("https://auth.example/reset?token=a&quot;onclick=&quot;alert(1)");
    });

    it("refuses a link that is not http(s)", () => {
      const template = { kind: "verify_email", link: "javascript:alert(1)", expiresInMinutes: 30 } as const;
      expect(() => renderMail(template, ada, branding)).toThrow(/http\(s\)/);
    });
  });

  describe("branding", () => {
    it.each([
      ["javascript:", "javascript:alert(1)"],
      ["http", "http://cdn.example/acme.png"],
      ["data:", "data:image/png;base64,AAAA"],
      ["not a URL", "acme.png"],
      ["no logo", null],
    ])("shows the tenant's name instead of a logo for a %s logo URL", (_what, logoUrl) => {
      const mail = renderMail({ kind: "password_changed" }, ada, { ...branding, logoUrl });
      expect(mail.html).not.toMatch(/<img\b/);
      expect(mail.html).not.toContain("javascript:");
      expect(mail.html).toContain(">Acme</td>");
    });

    it.each(["red", "#fff", "#ff660", "#ff6600;background:url(x)", "#GGGGGG", ""])(
      "falls back to the default accent for %j",
      (accentColor) => {
        const mail = renderMail(linked[0] as MailTemplate, ada, { ...branding, accentColor });
        expect(mail.html).toContain("background-color:#2563eb");
        expect(mail.html).not.toContain("url(x)");
      },
    );

    it("writes dark text on a light accent and white text on a dark one", () => {
      const buttonText = (accentColor: string) =>
        /font-weight:bold;line-height:20px;color:(#[0-9a-f]{6})/.exec(
          renderMail(linked[0] as MailTemplate, ada, { ...branding, accentColor }).html,
        )?.[1];
      expect(buttonText("#FFEE00")).toBe("#111111");
      expect(buttonText("#1E3A8A")).toBe("#ffffff");
    });
  });

  describe("language", () => {
    it.each(["en", "en-GB", "EN_us"])("uses English for %s", (language) => {
      const mail = renderMail({ kind: "password_changed" }, ada, { ...branding, language });
      expect(mail.subject).toBe("Your Acme password was changed");
    });

    it.each(["xx", "", "constructor", "__proto__"])("falls back to English for the unknown language %j", (language) => {
      const mail = renderMail({ kind: "password_changed" }, ada, { ...branding, language });
      expect(mail.subject).toBe("Your Acme password was changed");
      expect(mail.html).toContain('<html lang="en">');
    });
  });

  describe("subject", () => {
    it.each(["Acme\r\nBcc: eve@evil.example", "Acme\nX", "Acme\rX", "Acme\u2028X", "Acme\u0000\u0085\tX"])(
      "has no line break or control character when the tenant name %j had one",
      (tenantName) => {
        for (const template of templates) {
          const { subject, text } = renderMail(template, ada, { ...branding, tenantName });
          expect(subject).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
          expect(subject).toContain("Acme ");
          expect(text).not.toContain("Acme\r");
        }
      },
    );

    it("carries no direction control of a tenant name stored before they were refused, which would reorder the rest", () => {
      for (const template of templates) {
        const mail = renderMail(template, ada, { ...branding, tenantName: "Ac\u202eme\u2067 Ltd" });
        for (const part of [mail.subject, mail.text, mail.html])
          expect(part).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
        expect(mail.text).toContain("Acme Ltd");
      }
    });
  });
});
