import { serve } from "@hono/node-server";
import { startNodeTracing } from "../adapters/telemetry/otel-node.js";
import { createPinoLogger } from "../adapters/telemetry/pino-logger.js";
import { ConfigError, loadConfig } from "../config.js";
import { rotateDueKeys } from "../core/jobs.js";
import { DEFAULT_TENANT, TenantService } from "../core/tenants.js";
import { createApp } from "../http/app.js";
import { buildServices } from "../http/services.js";
import { fillDevSecrets } from "./dev-secrets.js";
import { openNodeDeps } from "./node-deps.js";

let logger = createPinoLogger();

async function main(): Promise<void> {
  const secretsFile = fillDevSecrets(process.env);
  const config = loadConfig(process.env, "node");
  logger = createPinoLogger(config.LOG_LEVEL);
  // OpenTelemetry spans exported over OTLP, only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = startNodeTracing(config);
  const deps = { ...(await openNodeDeps(config, logger)), tracer: tracing?.tracer };

  const tenants = new TenantService(deps.db, deps.clock, deps.random);
  if (await tenants.ensureDefault()) {
    logger.info("tenant_seeded", { tenant: DEFAULT_TENANT, issuer: `${config.PUBLIC_URL}/t/${DEFAULT_TENANT}` });
    console.log(
      [
        "",
        `First start: tenant "${DEFAULT_TENANT}" created (issuer ${config.PUBLIC_URL}/t/${DEFAULT_TENANT}).`,
        "Administer it with the bootstrap admin key from BOOTSTRAP_ADMIN_KEY as a Bearer token, e.g.:",
        `  curl -X POST ${config.PUBLIC_URL}/v1/admin/tenants -H "Authorization: Bearer $BOOTSTRAP_ADMIN_KEY" \\`,
        `       -H "Content-Type: application/json" -d '{"slug":"acme","name":"Acme"}'`,
        secretsFile ? `In development the generated key is kept in ${secretsFile}.` : "",
        "",
      ].join("\n"),
    );
  }

  const services = buildServices(deps);
  const app = createApp(deps, services);

  // The scheduled signing-key job; a Kubernetes CronJob may run `cli.js rotate-keys` instead.
  const { keyRing } = services;
  const rotation = setInterval(() => {
    rotateDueKeys(deps.db, keyRing, logger).catch((error: unknown) =>
      logger.error("key_rotation_job_failed", { message: (error as Error).message }),
    );
  }, config.KEY_ROTATION_CHECK_INTERVAL);
  rotation.unref();
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    logger.info("listening", {
      address: info.address,
      port: info.port,
      public_url: config.PUBLIC_URL,
      database: deps.db.driver,
      store: deps.kv.kind,
      tracing: tracing ? "otlp" : "off",
      env: config.APP_ENV,
    });
  });

  // Graceful shutdown: stop accepting, let in-flight requests finish, close
  // the pools; a stuck request cannot hold the process past SHUTDOWN_TIMEOUT.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(rotation);
    logger.info("shutting_down", { signal });
    const force = setTimeout(() => {
      logger.error("shutdown_timeout", { after_ms: config.SHUTDOWN_TIMEOUT });
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT);
    force.unref();
    server.close(async () => {
      // Ledger writes that followed responses finish before the pools close.
      await services.background.drain();
      // The last spans (those of the drained work) are exported before the process exits.
      await Promise.allSettled([deps.db.close(), deps.kv.close(), tracing?.shutdown()]);
      logger.info("stopped", {});
      process.exit(0);
    });
    if ("closeIdleConnections" in server) server.closeIdleConnections();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    logger.error("startup_failed", { message: error instanceof Error ? error.message : String(error) });
  }
  process.exit(1);
});
