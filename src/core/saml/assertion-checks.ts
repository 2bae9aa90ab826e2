import type { VerifiedAssertion } from "../ports/saml.js";

/**
 * The rules a verified assertion must meet besides its signature (SAML Core
 * §2.5, Profiles §4.1.4), as pure functions of what the adapter read from its
 * elements.
 */

/**
 * The ID of the request the assertion answers, null for an unsolicited one,
 * or why neither. The signed bearer SubjectConfirmationData says which
 * (Profiles §4.1.4.2-4.1.4.3); the Response's own InResponseTo is unsigned
 * unless the Response is, so it may only agree: without that, a victim's
 * assertion could be redeemed into another login, and an unsolicited one
 * pass as solicited.
 */
export function requestIdOf(assertion: VerifiedAssertion): { requestId: string | null } | { problem: string } {
  const ids = new Set(assertion.confirmations.map((c) => c.inResponseTo));
  if (ids.size === 0) return { problem: "The assertion has no bearer SubjectConfirmation." };
  if (ids.size > 1) return { problem: "The assertion's bearer SubjectConfirmations answer different requests." };
  const [requestId = null] = ids;
  if (assertion.responseInResponseTo !== null && assertion.responseInResponseTo !== requestId) {
    return requestId === null
      ? { problem: "The Response names a request (InResponseTo) its unsolicited assertion does not." }
      : { problem: "The Response's InResponseTo is not the request its assertion answers." };
  }
  return { requestId };
}

export interface ExpectedParties {
  idpEntityId: string;
  spEntityId: string;
  acsUrl: string;
}

/** Why a time window [notBefore, notOnOrAfter) does not hold `now` (with `skewMs` either side), or null. */
function outsideWindow(
  what: string,
  window: { notBefore: Date | null; notOnOrAfter: Date | null },
  now: number,
  skewMs: number,
): string | null {
  if (!window.notOnOrAfter) return `${what} has no NotOnOrAfter.`;
  if (window.notOnOrAfter.getTime() + skewMs <= now) return `${what} has expired.`;
  if (window.notBefore && window.notBefore.getTime() - skewMs > now) return `${what} is not valid yet.`;
  return null;
}

/**
 * Why the assertion is not for this service provider now, or null: Issuer,
 * every AudienceRestriction (Core §2.5.1.4: each must name us), Destination,
 * and each bearer confirmation's Recipient and window (Profiles §4.1.4.2:
 * NotOnOrAfter required; a NotBefore, which the profile forbids, is honoured
 * rather than ignored), then the Conditions' window.
 */
export function assertionProblem(
  assertion: VerifiedAssertion,
  expected: ExpectedParties,
  now: number,
  skewMs: number,
): string | null {
  if (assertion.issuer !== expected.idpEntityId) return "The assertion's Issuer is not the IdP.";
  if (assertion.responseIssuer !== null && assertion.responseIssuer !== expected.idpEntityId) {
    return "The Response's Issuer is not the IdP.";
  }
  const restrictions = assertion.audienceRestrictions;
  if (restrictions.length === 0 || restrictions.some((audiences) => !audiences.includes(expected.spEntityId))) {
    return "The assertion's Audience is not this service provider.";
  }
  if (assertion.destination !== null && assertion.destination !== expected.acsUrl) {
    return "The Destination is not this ACS.";
  }
  for (const confirmation of assertion.confirmations) {
    if (confirmation.recipient !== expected.acsUrl) return "The SubjectConfirmationData Recipient is not this ACS.";
    const problem = outsideWindow("The bearer SubjectConfirmationData", confirmation, now, skewMs);
    if (problem) return problem;
  }
  return outsideWindow("The assertion", assertion, now, skewMs);
}
