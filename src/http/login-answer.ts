import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { FirstStepOutcome } from "../core/mfa/mfa-login.js";
import type { UserRecord } from "../core/ports/database.js";
import type { LoginMethod } from "../core/sessions/session-types.js";
import type { AppEnv } from "./context.js";
import { deliverTokens } from "./cookies.js";
import { identifyRequest } from "./request-scope.js";
import { TokenResponseSchema } from "./schemas.js";

/** What every first step of a login (password, signup, federated exchange) answers, tokens or the second step. */

export const MfaChallengeSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string().openapi({ description: "Finishes the login at `POST /v1/mfa/verify`; single use" }),
    factors: z
      .array(z.enum(["totp", "passkey", "recovery_code"]))
      .openapi({ description: "The user's factors to verify; empty when `enrollment_required`" }),
    enrollment_required: z
      .literal(true)
      .optional()
      .openapi({
        description:
          "The tenant's MFA policy wants a factor the user has not got: enroll one with the `mfa_token` " +
          "(`POST /v1/mfa/enroll/totp`, then `/v1/mfa/verify` with its first code; or " +
          "`POST /v1/mfa/enroll/passkey/options` and `/v1/mfa/enroll/passkey`), which finishes the login",
      }),
    expires_in: z.number().int().openapi({ description: "Seconds the mfa_token lives" }),
  })
  .openapi("MfaChallenge");

export const LoginResponseSchema = z.union([TokenResponseSchema, MfaChallengeSchema]).openapi("LoginResponse");

const RECOVERY_CODES =
  "ten single-use codes of 24 base32 characters (120 bits) in groups of four, shown only now; only salted " +
  "hashes are stored. A code is accepted in any case, with or without its dashes and spaces";

/** Recovery codes as answered (src/core/mfa/recovery-codes.ts). */
export const RecoveryCodesSchema = z
  .array(z.string().openapi({ example: "k7d2-qmx4-pa3n-w6ze-hb5r-tfuc" }))
  .openapi({ description: `The ${RECOVERY_CODES}` });

/** A finished login's tokens with the first recovery codes, when the second step enrolled the user's first factor. */
export const SecondStepTokensSchema = TokenResponseSchema.extend({
  recovery_codes: RecoveryCodesSchema.optional().openapi({
    description: `With a first factor enrolled during the login: ${RECOVERY_CODES}`,
  }),
}).openapi("MfaLoginTokens");

/** The challenge of a second step that is due: no tokens, no session yet. */
function challengeBody(next: Exclude<FirstStepOutcome, { kind: "session" }>) {
  const common = { mfa_required: true as const, mfa_token: next.mfaToken };
  return next.kind === "challenge"
    ? { ...common, factors: next.factors, expires_in: next.expiresIn }
    : { ...common, factors: [], enrollment_required: true as const, expires_in: next.expiresIn };
}

/** A new session for the user and its tokens (in cookie mode the refresh token goes into the cookie). */
export async function startSession(c: Context<AppEnv>, user: UserRecord, method: LoginMethod, cookie: boolean) {
  const { response } = await c.get("services").sessions.start(c.get("tenant"), user, method, {
    userAgent: c.req.header("user-agent") ?? null,
    ip: c.get("services").clientIp(c),
  });
  identifyRequest(c.get("scope"), user.id, response.session_id);
  c.header("Cache-Control", "no-store");
  return deliverTokens(c, response, cookie);
}

/**
 * Where a login's first step ends: the second step's challenge when one is
 * due (the user has a factor, or the tenant's policy wants one; issue 20),
 * otherwise a session and its tokens.
 */
export async function finishFirstStep(c: Context<AppEnv>, user: UserRecord, method: LoginMethod, cookie: boolean) {
  const next = await c.get("services").mfaLogins.afterFirstStep(c.get("tenant"), user, method);
  if (next.kind === "session") return startSession(c, user, method, cookie);
  c.header("Cache-Control", "no-store");
  return challengeBody(next);
}
