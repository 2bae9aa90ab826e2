/**
 * Authentication context class references (OpenID Connect Core §2 `acr`),
 * derived from the RFC 8176 `amr` values: a login that completed a second
 * factor (`mfa`) is `urn:authority:mfa`, anything else `urn:authority:pwd`.
 */
export const ACR_MFA = "urn:authority:mfa";
const ACR_PWD = "urn:authority:pwd";
export const ACR_VALUES = [ACR_PWD, ACR_MFA] as const;

export const acrOf = (amr: readonly string[]): string => (amr.includes("mfa") ? ACR_MFA : ACR_PWD);
