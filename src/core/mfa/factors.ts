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
  /**
   * Removes every factor and recovery code of the user: by an admin, or by a
   * password reset that proves an address no one had proven (what was
   * enrolled before may be whoever claimed the address first).
   */
  resetAll(tenant: Tenant, userId: string, by: "admin" | "password_reset"): Promise<void>;
}
