import { errors } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { Tenant, UserRecord } from "../ports/database.js";
import { scopeOf } from "../sessions/user-claims.js";
import type { AccessTokenClaims } from "../tokens/access-token.js";
import type { SecondFactors } from "./factors.js";
import { fallsShortOfMfaPolicy } from "./policy.js";

/** How recent the login with a second factor must be for a sensitive change. */
export const STEP_UP_WINDOW_MS = 5 * 60_000;

/**
 * What a step-up guards: a change to the account (creating admin or service
 * keys, changing email or password, removing a factor, replacing recovery
 * codes), or a factor added to it.
 */
export type StepUpPurpose = "change" | "new_factor";

/**
 * Step-up for sensitive changes: a user who has a second factor must have
 * completed it (`amr` has `mfa`) in a login at most 5 minutes old, so a
 * stolen session or password alone cannot do them. A user without a factor
 * whom the tenant's MFA policy binds must have met the policy in that
 * session's login (the rule a refresh holds sessions to), or a session from
 * before the policy (or before the user became an admin) could still make
 * such changes; adding the factor the policy asks for stays open to it.
 */
export class StepUp {
  constructor(private readonly deps: { factors: Pick<SecondFactors, "hasAny">; clock: Clock }) {}

  async require(
    tenant: Tenant,
    user: Pick<UserRecord, "id" | "scopes">,
    login: Pick<AccessTokenClaims, "amr" | "auth_time">,
    purpose: StepUpPurpose = "change",
  ): Promise<void> {
    const amr = login.amr ?? [];
    const age = this.deps.clock.now().getTime() - (login.auth_time ?? 0) * 1000;
    if (amr.includes("mfa") && age <= STEP_UP_WINDOW_MS) return;
    if (await this.deps.factors.hasAny(tenant, user.id)) {
      throw errors.stepUpRequired(
        `This change needs a login with your second factor within the last ${STEP_UP_WINDOW_MS / 60_000} minutes; log in again.`,
      );
    }
    if (purpose === "change" && fallsShortOfMfaPolicy(tenant, amr, scopeOf(user))) {
      throw errors.stepUpRequired(
        "This tenant requires a second factor for your account: log in again and set one up to make this change.",
      );
    }
  }
}
