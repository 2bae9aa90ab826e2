/**
 * The request-scoped services (src/http/service-graph.ts): each request's
 * lines and audit entries are its own, however requests interleave, with no
 * AsyncLocalStorage; state is the process's, whichever request reads it.
 * Real core services on the in-process store, a recording database.
 */
import { describe, expect, it } from "vitest";
import { MemoryKeyValueStore } from "../../src/adapters/redis/memory.js";
import { cryptoRandom, systemClock } from "../../src/core/ports/clock.js";
import type { AuditEventRecord, Tenant } from "../../src/core/ports/database.js";
import type { AppDeps } from "../../src/http/context.js";
import type { RequestScope } from "../../src/http/request-scope.js";
import { buildServices } from "../../src/http/services.js";
import { testConfig } from "../support/app.js";
import { recordingLogger } from "../support/recorders.js";

const TENANT = { id: "7d3f0e1c-0000-4000-8000-000000000001", slug: "acme" } as Tenant;

function graph() {
  const { logger, lines } = recordingLogger();
  const appended: AuditEventRecord[] = [];
  // Only what revoking a session and writing audit entries touch.
  const db = {
    sessions: {
      revoke: async () => {
        // Another request runs while this one waits on the database.
        await new Promise((resolve) => setTimeout(resolve, 5));
        return true;
      },
    },
    auditEvents: {
      append: async (entries: AuditEventRecord[]) => {
        appended.push(...entries);
      },
    },
  };
  const deps = {
    config: testConfig(),
    db,
    kv: new MemoryKeyValueStore(systemClock),
    clock: systemClock,
    random: cryptoRandom,
    logger,
    sealer: {},
    passwords: {},
    samlProtocol: {},
    clientIp: () => null,
  } as unknown as AppDeps;
  return { services: buildServices(deps), lines, appended };
}

const scopeOf = (requestId: string): RequestScope => ({
  requestId,
  traceId: requestId.padEnd(32, "0"),
  spanId: "0".repeat(16),
  traceFlags: "01",
  audit: [],
});

describe("request-scoped services", () => {
  it("log and audit each interleaved request as its own", async () => {
    const { services, lines } = graph();
    const [a, b] = [scopeOf("aaaa"), scopeOf("bbbb")];
    a.actor = { type: "api_key", id: "key-a" };
    await Promise.all([
      services.forRequest(a).sessions.revoke(TENANT, "session-a", "deleted_by_user"),
      services.forRequest(b).sessions.revoke(TENANT, "session-b", "deleted_by_user"),
    ]);
    const revoked = lines.filter((line) => line.event === "session_revoked").map((line) => line.fields);
    expect(revoked).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ session_id: "session-a", request_id: "aaaa", trace_id: a.traceId }),
        expect.objectContaining({ session_id: "session-b", request_id: "bbbb", trace_id: b.traceId }),
      ]),
    );
    expect(a.audit?.map((e) => [e.targetId, e.requestId, e.actorType, e.actorId])).toEqual([
      ["session-a", "aaaa", "api_key", "key-a"],
    ]);
    expect(b.audit?.map((e) => [e.targetId, e.requestId, e.actorType, e.actorId])).toEqual([
      ["session-b", "bbbb", "anonymous", null],
    ]);
  });

  it("hand a request's entries raised after its answer to the writer it left, and the process's to the database", async () => {
    const { services, appended } = graph();
    const later: AuditEventRecord[] = [];
    const answered: RequestScope = { ...scopeOf("cccc"), audit: undefined, auditLater: (e) => later.push(e) };
    await services.forRequest(answered).sessions.revoke(TENANT, "session-c", "deleted_by_user");
    expect(later.map((e) => [e.targetId, e.requestId])).toEqual([["session-c", "cccc"]]);
    await services.sessions.revoke(TENANT, "session-job", "user_ended");
    await services.background.drain();
    expect(appended.map((e) => [e.targetId, e.requestId, e.actorType])).toEqual([["session-job", null, "system"]]);
  });

  it("build a request's services once, on its own logger, over the process's shared state", () => {
    const { services } = graph();
    const [a, b] = [services.forRequest(scopeOf("a")), services.forRequest(scopeOf("b"))];
    expect(a.sessions).toBe(a.sessions);
    expect(a.sessions).not.toBe(b.sessions);
    expect(a.keyRing).not.toBe(services.keyRing);
    expect(a.logger).not.toBe(b.logger);
    for (const shared of ["tenants", "limiter", "blocklist", "background", "db", "kv", "config"] as const) {
      expect(a[shared]).toBe(services[shared]);
      expect(b[shared]).toBe(services[shared]);
    }
  });
});
