import type { BearerConfirmation, SamlStatusResponse, VerifiedAssertion } from "../../core/ports/saml.js";
import { childOf, childrenOf, PROTOCOL, refuse } from "./dom.js";

/**
 * Reads what the ACS decides on from a response samlify has verified, as
 * elements and attributes of the parsed document: comments are nodes of
 * their own there, never values (exclusive C14N drops them, so text a regex
 * found in one would sit beside a signature that still verifies). The
 * caller's screen left one Response holding one Assertion; plain JS, so it
 * runs in workerd too.
 */

/** SAML Profiles §4.1.4.2: the Web Browser SSO assertion is confirmed by a bearer SubjectConfirmation. */
const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

const attributeOf = (element: Element, name: string): string | null =>
  element.hasAttribute(name) ? element.getAttribute(name) : null;

/** Text of the element's text and CDATA nodes, without comments or processing instructions: what C14N signs. */
const textOf = (element: Element): string => element.textContent ?? "";

function dateOf(element: Element, name: string): Date | null {
  const text = attributeOf(element, name);
  if (text === null) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? refuse(`The ${element.localName} ${name} is not a time.`) : date;
}

/** Whether the Response's assertion is encrypted (an element, not text that looks like one). */
export const holdsEncryptedAssertion = (response: Element): boolean => childOf(response, "EncryptedAssertion") !== null;

function confirmationsOf(subject: Element): BearerConfirmation[] {
  return childrenOf(subject, "SubjectConfirmation")
    .filter((confirmation) => attributeOf(confirmation, "Method") === BEARER)
    .map((confirmation) => {
      const data = childOf(confirmation, "SubjectConfirmationData");
      return {
        recipient: data && attributeOf(data, "Recipient"),
        inResponseTo: data && attributeOf(data, "InResponseTo"),
        notBefore: data && dateOf(data, "NotBefore"),
        notOnOrAfter: data && dateOf(data, "NotOnOrAfter"),
      };
    });
}

/** Attribute Name to its values (one value: a string), over every AttributeStatement. */
function attributesOf(assertion: Element): Record<string, string | string[]> {
  const values = new Map<string, string[]>();
  for (const statement of childrenOf(assertion, "AttributeStatement")) {
    for (const attribute of childrenOf(statement, "Attribute")) {
      const name = attributeOf(attribute, "Name") ?? "";
      values.set(name, [...(values.get(name) ?? []), ...childrenOf(attribute, "AttributeValue").map(textOf)]);
    }
  }
  // fromEntries defines own properties: a Name of "__proto__" is a key like any other.
  return Object.fromEntries([...values].map(([name, list]) => [name, list.length === 1 ? (list[0] ?? "") : list]));
}

/** The fields of a verified response (its assertion decrypted, if it was encrypted). */
export function readVerifiedResponse(response: Element): VerifiedAssertion {
  const assertion = childOf(response, "Assertion") ?? refuse("The Response holds no Assertion.");
  const issuer = childOf(assertion, "Issuer");
  const subject = childOf(assertion, "Subject") ?? refuse("The assertion has no Subject.");
  const nameId = textOf(childOf(subject, "NameID") ?? refuse("The assertion's Subject has no NameID."));
  if (nameId === "") refuse("The assertion's NameID is empty.");
  // The replay key (the schema requires it; a decrypted assertion was not validated against it).
  const assertionId = attributeOf(assertion, "ID") || refuse("The assertion has no ID.");
  const conditions = childOf(assertion, "Conditions");
  const responseIssuer = childOf(response, "Issuer");
  return {
    issuer: issuer ? textOf(issuer) : "",
    responseIssuer: responseIssuer && textOf(responseIssuer),
    nameId,
    responseId: attributeOf(response, "ID") ?? "",
    assertionId,
    responseInResponseTo: attributeOf(response, "InResponseTo"),
    destination: attributeOf(response, "Destination"),
    confirmations: confirmationsOf(subject),
    audienceRestrictions: conditions
      ? childrenOf(conditions, "AudienceRestriction").map((r) => childrenOf(r, "Audience").map(textOf))
      : [],
    notBefore: conditions && dateOf(conditions, "NotBefore"),
    notOnOrAfter: conditions && dateOf(conditions, "NotOnOrAfter"),
    attributes: attributesOf(assertion),
  };
}

/** A Response's status when it holds no assertion (an IdP's failure), or null when it holds one. */
export function readStatusResponse(response: Element): SamlStatusResponse | null {
  if (childOf(response, "Assertion") || holdsEncryptedAssertion(response)) return null;
  const top = childOf(childOf(response, "Status", PROTOCOL) ?? response, "StatusCode", PROTOCOL);
  const second = top && childOf(top, "StatusCode", PROTOCOL);
  return {
    status: (top && attributeOf(top, "Value")) ?? "",
    detail: second ? attributeOf(second, "Value") : null,
    inResponseTo: attributeOf(response, "InResponseTo"),
  };
}
