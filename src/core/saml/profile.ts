import type { ExternalProfile } from "../federation/catalogue.js";
import type { SamlConnectionRecord } from "../ports/database.js";
import type { VerifiedAssertion } from "../ports/saml.js";

/** The IdP's user: NameID is the subject; email and name from the mapped attributes (email defaults to an email NameID). */
export function samlProfile(row: SamlConnectionRecord, assertion: VerifiedAssertion): ExternalProfile {
  const first = (key: string | undefined) => {
    const value = key ? assertion.attributes[key] : undefined;
    return (Array.isArray(value) ? value[0] : value) ?? null;
  };
  const email =
    first(row.attributeMapping.email ?? "email") ?? (assertion.nameId.includes("@") ? assertion.nameId : null);
  // An IdP's email is only as good as its admin's word for it: verified only when the connection trusts it.
  return {
    subject: assertion.nameId,
    email,
    emailVerified: row.trustEmail && email !== null,
    name: first(row.attributeMapping.name ?? "name"),
  };
}
