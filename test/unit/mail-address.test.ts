import { describe, expect, it } from "vitest";
import { needsSmtpUtf8, withAsciiDomain } from "../../src/core/mail/mail-address.js";

describe("mail addresses: A-labels and SMTPUTF8", () => {
  it.each([
    ["ada@bücher.example", "ada@xn--bcher-kva.example"],
    ["ada@BÜCHER.example", "ada@xn--bcher-kva.example"],
    ["ada@xn--bcher-kva.example", "ada@xn--bcher-kva.example"],
    ["Ada Müller <ada@bücher.example>", "Ada Müller <ada@xn--bcher-kva.example>"],
    ["ada@example.com", "ada@example.com"],
    // A non-ASCII local part is left as it is: it needs SMTPUTF8 whatever the domain's form.
    ["müller@bücher.example", "müller@bücher.example"],
    ["müller@xn--bcher-kva.example", "müller@xn--bcher-kva.example"],
    // What does not map is left for the mailer to refuse.
    ["ada@bü cher.example", "ada@bü cher.example"],
  ])("withAsciiDomain(%j) is %j", (input, expected) => {
    expect(withAsciiDomain(input)).toBe(expected);
  });

  it.each([
    ["müller@xn--bcher-kva.example", true],
    ["Ada <müller@example.com>", true],
    ["ada@bücher.example", false],
    ["Müller <ada@example.com>", false],
    ["ada@example.com", false],
  ])("needsSmtpUtf8(%j) is %j", (input, expected) => {
    expect(needsSmtpUtf8(input)).toBe(expected);
  });
});
