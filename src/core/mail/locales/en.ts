import type { MailCatalogue } from "../catalogue.js";

function duration(minutes: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (minutes >= 2 * 1440 && minutes % 1440 === 0) return plural(minutes / 1440, "day");
  if (minutes >= 60 && minutes % 60 === 0) return plural(minutes / 60, "hour");
  return plural(minutes, "minute");
}

export const en: MailCatalogue = {
  language: "en",
  greeting: "Hello,",
  linkFallback: "If the button does not work, copy this link into your browser:",
  expiresIn: (minutes) => `The link expires in ${duration(minutes)}.`,
  footer: (tenant) => `This is an automated message from ${tenant}. Replies are not read.`,
  verify_email: (tenant) => ({
    subject: `Confirm your email address for ${tenant}`,
    heading: "Confirm your email address",
    body: [`Please confirm that this is your email address for your ${tenant} account.`],
    action: "Confirm email address",
    after: [
      "If you did not create this account, do not confirm: ignore this mail. Someone may have signed up with your address; confirming would make their account yours in name only.",
    ],
  }),
  password_reset: (tenant) => ({
    subject: `Reset your ${tenant} password`,
    heading: "Reset your password",
    body: [`Someone asked to reset the password of your ${tenant} account. If it was you, choose a new one:`],
    action: "Choose a new password",
    after: ["If you did not ask for this, ignore this mail: your password stays as it is."],
  }),
  email_change: (tenant) => ({
    subject: `Confirm your new email address for ${tenant}`,
    heading: "Confirm your new email address",
    body: [
      `Someone asked to use this address for a ${tenant} account. The change takes effect only once you confirm it here.`,
    ],
    action: "Confirm new address",
    after: ["If you did not ask for this, ignore this mail: nothing changes."],
  }),
  email_change_notice: (tenant, newEmail) => ({
    subject: `Email address change requested for your ${tenant} account`,
    heading: "Your email address is about to change",
    body: [
      `Someone asked to change the email address of your ${tenant} account to ${newEmail}.`,
      "Nothing changes until the change is confirmed from the new address.",
      "If this was not you, reset your password now: that cancels the change.",
    ],
  }),
  email_in_use: (tenant) => ({
    subject: `A ${tenant} account change was not made`,
    heading: "Nothing was changed",
    body: [
      `Someone asked to move a ${tenant} account to this email address, but this address already belongs to an account. Nothing was changed.`,
      "If this was you, sign in with this address instead. Otherwise you can ignore this mail.",
    ],
  }),
  password_changed: (tenant) => ({
    subject: `Your ${tenant} password was changed`,
    heading: "Your password was changed",
    body: [
      `The password of your ${tenant} account was just changed.`,
      "If this was you, there is nothing to do. If it was not, reset your password right away.",
    ],
  }),
};
