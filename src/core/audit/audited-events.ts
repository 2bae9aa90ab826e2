import type { LogFields } from "../ports/logger.js";

/** How a log event becomes an audit event: its action, target, acting user and the fields kept as details. */
interface AuditRule {
  action: string;
  target?: { type: string; field: string };
  /** A field naming the user who acted (a login acts for its user). */
  actorField?: string;
  details?: string[];
  fixed?: Record<string, unknown>;
}

const user = { type: "user", field: "user_id" };
const session = { type: "session", field: "session_id" };

/**
 * The security events the audit trail keeps (API.md: logins, lockouts,
 * refresh-token reuse, revocations, API keys, key rotations...). The core
 * already logs each one with safe fields only; the audit trail records the
 * same events, so no code path can log an event and forget its audit entry.
 * Admin writes are recorded by the HTTP layer for every admin route.
 */
const RULES: Record<string, AuditRule> = {
  user_signed_up: { action: "user.signed_up", target: user, actorField: "user_id", details: ["via"] },
  login_succeeded: { action: "login.succeeded", target: user, actorField: "user_id", details: ["method"] },
  federated_login: { action: "login.succeeded", target: user, actorField: "user_id", details: ["method"] },
  login_failed: { action: "login.failed", target: user },
  login_refused_disabled: { action: "login.refused_disabled", target: user },
  federated_link_refused: { action: "login.link_refused", target: user, details: ["provider"] },
  account_locked: { action: "account.locked", target: user, details: ["lock_ms"] },
  refresh_token_reuse: { action: "session.refresh_token_reused", target: session },
  authorization_code_reuse: {
    action: "session.authorization_code_reused",
    target: session,
    details: ["client_id"],
  },
  session_revoked: { action: "session.revoked", target: session, details: ["reason"] },
  logout: { action: "session.revoked", target: session, actorField: "user_id", fixed: { reason: "logout" } },
  sessions_revoked_of_user: { action: "user.sessions_revoked", target: user, details: ["count", "reason"] },
  sessions_revoked_of_tenant: {
    action: "tenant.sessions_revoked",
    target: { type: "tenant", field: "tenant_id" },
    details: ["count", "reason"],
  },
  api_key_created: { action: "api_key.created", target: { type: "api_key", field: "key_id" } },
  api_key_revoked: { action: "api_key.revoked", target: { type: "api_key", field: "key_id" }, details: ["reason"] },
  signing_key_rotated: { action: "signing_key.rotated" },
  sessions_revoked_of_client: {
    action: "client.sessions_revoked",
    target: { type: "client", field: "client_id" },
    details: ["count", "reason", "user_id"],
  },
  client_type_changed: {
    action: "client.type_changed",
    target: { type: "client", field: "client_id" },
    details: ["from", "to"],
  },
  consent_revoked: {
    action: "consent.revoked",
    target: { type: "client", field: "client_id" },
    actorField: "user_id",
  },
  email_verified: { action: "user.email_verified", target: user, actorField: "user_id" },
  email_change_requested: { action: "user.email_change_requested", target: user, actorField: "user_id" },
  email_changed: { action: "user.email_changed", target: user, actorField: "user_id" },
  password_reset_requested: { action: "user.password_reset_requested", target: user },
  password_reset: { action: "user.password_reset", target: user, actorField: "user_id" },
  password_changed: { action: "user.password_changed", target: user, actorField: "user_id" },
  passkey_registered: { action: "mfa.passkey_added", target: user, actorField: "user_id", details: ["passkey_id"] },
  passkey_renamed: { action: "mfa.passkey_renamed", target: user, actorField: "user_id", details: ["passkey_id"] },
  passkey_removed: { action: "mfa.passkey_removed", target: user, actorField: "user_id", details: ["passkey_id"] },
  passkey_authentication_failed: { action: "login.passkey_failed", target: user, details: ["reason"] },
  passkey_counter_regression: {
    action: "mfa.passkey_counter_regression",
    target: user,
    details: ["passkey_id", "stored_counter", "presented_counter"],
  },
  mfa_verified: { action: "login.mfa_verified", target: user, actorField: "user_id", details: ["kind"] },
  mfa_totp_enrolled: { action: "mfa.totp_enrolled", target: user, actorField: "user_id", details: ["factor_id"] },
  mfa_factor_removed: {
    action: "mfa.factor_removed",
    target: user,
    actorField: "user_id",
    details: ["factor_id", "kind"],
  },
  mfa_recovery_codes_generated: { action: "mfa.recovery_codes_generated", target: user, actorField: "user_id" },
  mfa_recovery_code_used: { action: "mfa.recovery_code_used", target: user, actorField: "user_id" },
  mfa_code_failed: { action: "mfa.code_failed", target: user, details: ["kind"] },
  // A challenge to verify a factor, or of a user who has one by now, presented to add one: a password thief's try.
  mfa_enrollment_refused: { action: "mfa.enrollment_refused", target: user },
  mfa_reset_by_admin: { action: "mfa.reset_by_admin", target: user, details: ["factors", "recovery_codes"] },
  mfa_reset_by_password_reset: {
    action: "mfa.reset_by_password_reset",
    target: user,
    details: ["factors", "recovery_codes"],
  },
  password_confirmation_failed: { action: "user.password_confirmation_failed", target: user, actorField: "user_id" },
};

/** The audit entry a log event stands for, or null when it is not one the trail keeps. */
export function auditedEvent(
  event: string,
  fields: LogFields | undefined,
): {
  tenantId: string;
  action: string;
  actorUserId: string | null;
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown>;
} | null {
  const rule = RULES[event];
  const tenantId = fields?.tenant_id;
  if (!rule || typeof tenantId !== "string") return null;
  const text = (name: string | undefined) => {
    const value = name ? fields?.[name] : undefined;
    return typeof value === "string" ? value : null;
  };
  const details: Record<string, unknown> = { ...rule.fixed };
  for (const name of rule.details ?? []) if (fields?.[name] !== undefined) details[name] = fields[name];
  const targetId = text(rule.target?.field);
  return {
    tenantId,
    action: rule.action,
    actorUserId: text(rule.actorField),
    targetType: targetId ? (rule.target?.type ?? null) : null,
    targetId,
    details,
  };
}
