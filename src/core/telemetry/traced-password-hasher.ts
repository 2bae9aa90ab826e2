import type { PasswordHasher } from "../ports/password-hasher.js";
import type { Tracer } from "../ports/telemetry.js";

/**
 * Spans `password.hash` and `password.verify` (argon2id is most of a login's
 * CPU time). Neither the password nor the PHC string is recorded, nor the
 * outcome of a verification.
 */
export function tracePasswordHasher(inner: PasswordHasher, tracer: Tracer): PasswordHasher {
  const attributes = { "authority.password.algorithm": "argon2id" };
  return {
    hash: (password, work) => tracer.span("password.hash", attributes, () => inner.hash(password, work)),
    verify: (phc, password, work) =>
      tracer.span("password.verify", attributes, () => inner.verify(phc, password, work)),
  };
}
