import { ADMIN_SCOPE } from "../api-keys/key-scopes.js";
import type { Tenant } from "../ports/database.js";
import { type MfaSettings, mfaSettingsOf } from "../tenant-settings.js";

/**
 * Whether a session made by `amr`, of a user holding `scope` (space-separated), falls short of
 * the tenant's MFA policy: the policy binds the user and no second factor
 * was completed (RFC 8176 `mfa`), unless the login was federated and the
 * tenant trusts its providers' own MFA. A login's second step keeps new
 * sessions from falling short; older ones (made before the policy, before
 * the user's admin scope, before a factor) and single-factor passwordless
 * logins may.
 */
export function fallsShortOfMfaPolicy(tenant: Tenant, amr: readonly string[], scope: string): boolean {
  if (amr.includes("mfa")) return false;
  const settings = mfaSettingsOf(tenant);
  if (settings.federatedLogins === "trust_upstream" && amr.some((m) => m === "oauth" || m === "saml")) return false;
  return bindsUser(settings, scope);
}

/** Whether the tenant's policy wants a user holding `scope` to have a second factor (split only when it matters). */
export const bindsUser = ({ policy }: MfaSettings, scope: string): boolean =>
  policy === "required" || (policy === "required_for_admins" && scope.split(" ").includes(ADMIN_SCOPE));
