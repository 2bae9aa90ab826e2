/** Who did something: a user, an API key, the bootstrap key, an OAuth client, the service itself, or nobody known. */
export type AuditActorType = "user" | "api_key" | "bootstrap" | "client" | "system" | "anonymous";

/** One entry of the audit trail. `details` never holds a secret, token or password. */
export interface AuditEventRecord {
  id: string;
  tenantId: string;
  at: Date;
  action: string;
  actorType: AuditActorType;
  actorId: string | null;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

interface AuditFilter {
  action?: string;
  actorId?: string;
  targetId?: string;
}

/** Where a page of events newest-first continues: after this event. */
export interface AuditCursor {
  at: Date;
  id: string;
}

export interface AuditRepository {
  append(events: AuditEventRecord[]): Promise<void>;
  /** The tenant's events newest first, after `cursor`, matching every given filter. */
  list(tenantId: string, filter: AuditFilter, cursor: AuditCursor | null, limit: number): Promise<AuditEventRecord[]>;
  /** Deletes events older than `before` (retention); resolves how many went. */
  purgeBefore(before: Date): Promise<number>;
}
