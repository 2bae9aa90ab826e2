import type { SecondFactorKind, Tenant } from "../ports/database.js";

export type FactorKind = SecondFactorKind | "recovery_code";

export interface FactorSummary {
  id: string;
  kind: SecondFactorKind;
  name: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** A user's second factors, as the login challenge (M3) and the factor routes see them. */
export interface SecondFactors {
  /** The user's confirmed factors (recovery codes are not listed as factors). */
  list(tenant: Tenant, userId: string): Promise<FactorSummary[]>;
  /** Which kinds of factor the user has, without reading them: the login's challenge and the step-up's check. */
  kinds(tenant: Tenant, userId: string): Promise<SecondFactorKind[]>;
  hasAny(tenant: Tenant, userId: string): Promise<boolean>;
  /** Checks a TOTP or recovery code for the user; resolves the amr value ("otp") or null when wrong/replayed/used. */
  verifyCode(tenant: Tenant, userId: string, kind: "totp" | "recovery_code", code: string): Promise<"otp" | null>;
  /** Admin reset: removes every factor and recovery code of the user. */
  resetAll(tenant: Tenant, userId: string): Promise<void>;
}
