export interface SessionRecord {
  id: string;
  tenantId: string;
  userId: string;
  /** `password`, `oauth:{provider}`, `saml:{connection}`. */
  authMethod: string;
  amr: string[];
  clientId: string | null;
  scope: string;
  userAgent: string | null;
  ip: string | null;
  authTime: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  createdAt: Date;
}

export type NewSession = Omit<SessionRecord, "revokedAt" | "revokedReason" | "createdAt">;

export interface SessionRepository {
  create(session: NewSession): Promise<SessionRecord>;
  findById(tenantId: string, id: string): Promise<SessionRecord | null>;
}
