import { errors } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { Tenant } from "../ports/database.js";
import type { AccessTokenClaims } from "../tokens/access-token.js";
import type { SecondFactors } from "./factors.js";

/** How recent the login with a second factor must be for a sensitive change. */
export const STEP_UP_WINDOW_MS = 5 * 60_000;

/**
 * Step-up for sensitive changes (creating admin or service keys, changing
 * email or password, removing a factor): a user who has a second factor must
 * have completed it (`amr` has `mfa`) in a login at most 5 minutes old, so a
 * stolen session or password alone cannot do them. Users without a factor
 * are not held back here (the routes' own checks still apply).
 */
export class StepUp {
  constructor(private readonly deps: { factors: Pick<SecondFactors, "hasAny">; clock: Clock }) {}

  async require(tenant: Tenant, auth: Pick<AccessTokenClaims, "sub" | "amr" | "auth_time">): Promise<void> {
    const age = this.deps.clock.now().getTime() - (auth.auth_time ?? 0) * 1000;
    if (auth.amr?.includes("mfa") && age <= STEP_UP_WINDOW_MS) return;
    if (!(await this.deps.factors.hasAny(tenant, auth.sub))) return;
    throw errors.stepUpRequired(
      `This change needs a login with your second factor within the last ${STEP_UP_WINDOW_MS / 60_000} minutes; log in again.`,
    );
  }
}
