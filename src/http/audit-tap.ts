import { auditedEvent } from "../core/audit/audited-events.js";
import type { Clock, Random } from "../core/ports/clock.js";
import type { AuditEventRecord } from "../core/ports/database.js";
import type { LogFields, Logger } from "../core/ports/logger.js";
import type { RequestScope } from "./request-scope.js";

/**
 * A Logger that also turns the security events among its lines into audit
 * entries. A request's (with its scope) keep them in the scope while it is
 * served (the outermost layer writes them when it ends) and, after its
 * answer, hand them to the writer it left there (see closeAuditTrail); the
 * process's (no scope: scheduled jobs) give them to `outside` at once, acted
 * by the system.
 */
export function auditTap(
  logger: Logger,
  deps: { clock: Clock; random: Random },
  scope: RequestScope | undefined,
  outside: (event: AuditEventRecord) => void,
): Logger {
  const collect = (event: string, fields: LogFields | undefined) => {
    const audited = auditedEvent(event, fields);
    if (!audited) return;
    const { actorUserId, ...entry } = audited;
    const record: AuditEventRecord = {
      ...entry,
      id: deps.random.uuid(),
      at: deps.clock.now(),
      actorType: actorUserId ? "user" : (scope?.actor?.type ?? (scope ? "anonymous" : "system")),
      actorId: actorUserId ?? scope?.actor?.id ?? null,
      // closeAuditTrail fills in the request's address when it writes the entries.
      ip: null,
      requestId: scope?.requestId ?? null,
    };
    if (scope?.audit) scope.audit.push(record);
    else if (scope?.auditLater) scope.auditLater(record);
    else outside(record);
  };
  return {
    info: (event, fields) => {
      logger.info(event, fields);
      collect(event, fields);
    },
    warn: (event, fields) => {
      logger.warn(event, fields);
      collect(event, fields);
    },
    error: (event, fields) => logger.error(event, fields),
  };
}
