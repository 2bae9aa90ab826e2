import type { Database } from "../ports/database.js";
import { measure, type Telemetry } from "./measure.js";

// OTel semantic conventions for database spans: db.system.name, db.operation.name.
const POSTGRES = "postgresql";

/**
 * Spans `db {repository}.{method}` and the `db_query_duration_seconds`
 * histogram ({operation}) around every repository call. Only the names are
 * recorded: arguments (SQL parameters, emails' blind indexes, hashes) never are.
 */
function traceRepository<R extends object>(repository: string, target: R, telemetry: Telemetry): R {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== "function" || typeof property !== "string") return value;
      let traced = wrapped.get(property);
      if (!traced) {
        const operation = `${repository}.${property}`;
        traced = (...args: unknown[]) =>
          measure(
            telemetry,
            { name: `db ${operation}`, attributes: { "db.system.name": POSTGRES, "db.operation.name": operation } },
            { name: "db_query_duration_seconds", labels: { operation } },
            async () => value.apply(object, args),
          );
        wrapped.set(property, traced);
      }
      return traced;
    },
  });
}

/** The Database port with every repository method and `ping` measured; `driver` and `close` pass through. */
export function traceDatabase(db: Database, telemetry: Telemetry): Database {
  const repositories = new Map<PropertyKey, unknown>();
  return new Proxy(db, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (property === "ping") {
        return () =>
          measure(
            telemetry,
            { name: "db ping", attributes: { "db.system.name": POSTGRES, "db.operation.name": "ping" } },
            { name: "db_query_duration_seconds", labels: { operation: "ping" } },
            () => object.ping(),
          );
      }
      if (typeof value !== "object" || value === null || typeof property !== "string") return value;
      let traced = repositories.get(property);
      if (!traced) {
        traced = traceRepository(property, value, telemetry);
        repositories.set(property, traced);
      }
      return traced;
    },
  });
}
