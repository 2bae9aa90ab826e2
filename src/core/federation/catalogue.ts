/**
 * Upstream providers the service knows by name. OpenID Connect ones are
 * configured from their discovery document; plain OAuth 2.0 ones (GitHub,
 * Discord) carry their endpoints and a profile mapping. Any other name is a
 * generic OpenID Connect provider whose `issuer` the tenant gives.
 */

/** What the service needs of an upstream account. */
export interface ExternalProfile {
  /** The provider's stable id of the account (OIDC `sub`, GitHub's numeric id...). */
  subject: string;
  email: string | null;
  /** Whether the provider asserts the address belongs to the account; only then may it link to an existing user. */
  emailVerified: boolean;
  name: string | null;
}

/** GETs a provider API with the user's access token; resolves the parsed JSON or throws. */
export type FetchJson = (url: string, accessToken: string) => Promise<unknown>;

interface OidcEntry {
  kind: "oidc";
  /** Fixed issuer; absent when each tenant names its own (e.g. an Entra ID directory). */
  issuer?: string;
  scopes: string[];
  /** Extra authorization parameters the provider needs. */
  authorizationParams?: Record<string, string>;
}

export interface OAuth2Entry {
  kind: "oauth2";
  /** Identifies the server to the OAuth client library; not a discovery URL. */
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  scopes: string[];
  profile(fetchJson: FetchJson, accessToken: string): Promise<ExternalProfile>;
}

export type CatalogueEntry = OidcEntry | OAuth2Entry;

type Json = Record<string, unknown>;
const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);
const idOf = (value: unknown): string | null =>
  typeof value === "number" && Number.isSafeInteger(value) ? String(value) : text(value);

export class ProfileError extends Error {}

/** GitHub: `/user`, and `/user/emails` for the primary verified address (the profile email may be hidden). */
export async function githubProfile(fetchJson: FetchJson, accessToken: string): Promise<ExternalProfile> {
  const user = (await fetchJson("https://api.github.com/user", accessToken)) as Json;
  const subject = idOf(user.id);
  if (!subject) throw new ProfileError("GitHub's /user has no id.");
  const emails = await fetchJson("https://api.github.com/user/emails", accessToken);
  const list = (Array.isArray(emails) ? emails : []) as Json[];
  const primary = list.find((e) => e.primary === true && e.verified === true && text(e.email));
  const anyVerified = primary ?? list.find((e) => e.verified === true && text(e.email));
  return {
    subject,
    email: text(anyVerified?.email) ?? text(user.email),
    emailVerified: anyVerified !== undefined,
    name: text(user.name) ?? text(user.login),
  };
}

/** Discord: `/users/@me`; `verified` says whether the email is verified. */
export async function discordProfile(fetchJson: FetchJson, accessToken: string): Promise<ExternalProfile> {
  const user = (await fetchJson("https://discord.com/api/users/@me", accessToken)) as Json;
  const subject = idOf(user.id);
  if (!subject) throw new ProfileError("Discord's /users/@me has no id.");
  return {
    subject,
    email: text(user.email),
    emailVerified: user.verified === true && text(user.email) !== null,
    name: text(user.global_name) ?? text(user.username),
  };
}

/**
 * OpenID Connect claims (ID token, then UserInfo) to a profile. Apple sends
 * `email_verified` as the string "true"; Entra ID's `email` is not verified
 * by the directory, so it never counts as verified.
 */
export function oidcProfile(claims: Json, provider: string): ExternalProfile {
  const subject = text(claims.sub);
  if (!subject) throw new ProfileError("The ID token has no subject.");
  const verified = claims.email_verified === true || claims.email_verified === "true";
  return {
    subject,
    email: text(claims.email),
    emailVerified: verified && provider !== "microsoft",
    name: text(claims.name) ?? text(claims.preferred_username),
  };
}

export const CATALOGUE: Record<string, CatalogueEntry> = {
  google: { kind: "oidc", issuer: "https://accounts.google.com", scopes: ["openid", "email", "profile"] },
  // Per directory: https://login.microsoftonline.com/{tenant-id}/v2.0 (the multi-tenant "common"
  // document names a templated issuer no ID token matches).
  microsoft: { kind: "oidc", scopes: ["openid", "email", "profile"] },
  apple: {
    kind: "oidc",
    issuer: "https://appleid.apple.com",
    scopes: ["openid", "email", "name"],
    // Apple answers with a form POST when name or email is asked for.
    authorizationParams: { response_mode: "form_post" },
  },
  gitlab: { kind: "oidc", issuer: "https://gitlab.com", scopes: ["openid", "email", "profile"] },
  github: {
    kind: "oauth2",
    issuer: "https://github.com",
    authorizationEndpoint: "https://github.com/login/oauth/authorize",
    tokenEndpoint: "https://github.com/login/oauth/access_token",
    scopes: ["read:user", "user:email"],
    profile: githubProfile,
  },
  discord: {
    kind: "oauth2",
    issuer: "https://discord.com",
    authorizationEndpoint: "https://discord.com/oauth2/authorize",
    tokenEndpoint: "https://discord.com/api/oauth2/token",
    scopes: ["identify", "email"],
    profile: discordProfile,
  },
};

/** Names a tenant may give a provider: lower-case, as in URLs. */
export const PROVIDER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The catalogue entry for a name, or the generic OIDC entry for any other. */
export function catalogueEntry(name: string): CatalogueEntry {
  return (
    (Object.hasOwn(CATALOGUE, name) && CATALOGUE[name]) || { kind: "oidc", scopes: ["openid", "email", "profile"] }
  );
}
