import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { resolve } from "node:path";
import { getRequestListener } from "@hono/node-server";
import { loadSwaggerUiAssets } from "../adapters/docs/swagger-ui-node.js";
import { startNodeTracing } from "../adapters/telemetry/otel-node.js";
import { createPinoLogger } from "../adapters/telemetry/pino-logger.js";
import { ConfigError, loadConfig } from "../config.js";
import { dailyCleanup, rotateDueKeys } from "../core/jobs.js";
import { encryptionKeysProblem } from "../core/key-check.js";
import { DEFAULT_TENANT, TenantService } from "../core/tenants.js";
import { createApp } from "../http/app.js";
import { buildServices } from "../http/services.js";
import { scheduleDaily } from "./daily-job.js";
import { fillDevSecrets } from "./dev-secrets.js";
import { answerClientErrors, answerRequestErrors } from "./node-client-errors.js";
import { limitConnections } from "./node-connections.js";
import { openNodeDeps } from "./node-deps.js";
import { checkRequests } from "./node-request-checks.js";
import { recordServer } from "./server-record.js";

/** How long no new connection must arrive before a draining server closes its listener. */
const QUIET_BEFORE_CLOSE_MS = 250;
/** The longest a request past HTTP_HEADERS_TIMEOUT / HTTP_REQUEST_TIMEOUT waits to be cut off. */
const MAX_TIMEOUT_CHECK_MS = 1_000;
/** Left at the end of a shutdown to close the pools and export the last spans before the forced exit. */
const CLOSE_MARGIN_MS = 1_000;

let logger = createPinoLogger();

async function main(): Promise<void> {
  const secretsFile = fillDevSecrets(process.env);
  const config = loadConfig(process.env, "node");
  logger = createPinoLogger(config.LOG_LEVEL);
  // OpenTelemetry spans exported over OTLP, only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = startNodeTracing(config);
  const lifecycle = { draining: false };
  // Before PGlite opens: from here on cli.js goes through this server's HTTP API.
  recordServer(config);
  const deps = {
    ...(await openNodeDeps(config, logger)),
    tracer: tracing?.tracer,
    lifecycle,
    // Read at the first request of /docs, not at start (about 1.5 MB).
    docsUi: loadSwaggerUiAssets,
  };

  // Keys that cannot open the data would serve blind: no address found, so failed logins and second accounts.
  const keysProblem = await encryptionKeysProblem(deps.db, deps.sealer, logger);
  if (keysProblem) {
    console.error(keysProblem);
    await Promise.allSettled([deps.db.close(), deps.kv.close()]);
    process.exit(1);
  }

  const tenants = new TenantService(deps.db, deps.clock, deps.random);
  if (await tenants.ensureDefault()) {
    logger.info("tenant_seeded", { tenant: DEFAULT_TENANT, issuer: `${config.PUBLIC_URL}/t/${DEFAULT_TENANT}` });
    console.log(
      [
        "",
        `First start: tenant "${DEFAULT_TENANT}" created (issuer ${config.PUBLIC_URL}/t/${DEFAULT_TENANT}).`,
        "Administer it with the bootstrap admin key (BOOTSTRAP_ADMIN_KEY) as a Bearer token, e.g.:",
        // In development the key was generated into the secrets file: the line that reads it makes the example run as shown.
        ...(secretsFile
          ? [
              `  export BOOTSTRAP_ADMIN_KEY=$(node -p 'require(${JSON.stringify(resolve(secretsFile))}).BOOTSTRAP_ADMIN_KEY')`,
            ]
          : []),
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
  // Daily cleanup of ended sessions; a Kubernetes CronJob may run `cli.js cleanup` instead.
  const stopCleanup = scheduleDaily(() => {
    const retention = { sessions: config.SESSION_RETENTION, auditEvents: config.AUDIT_RETENTION };
    dailyCleanup(deps.db, deps.clock.now(), retention, logger).catch((error: unknown) =>
      logger.error("cleanup_job_failed", { message: (error as Error).message }),
    );
  }, deps.random);
  // As @hono/node-server's serve(), with refusals of its own answered as problem+json too.
  const refusals = { random: deps.random, logger, metrics: services.metrics };
  const requestErrors = answerRequestErrors(refusals);
  const listener = requestErrors.wrap(
    getRequestListener(app.fetch, { hostname: config.HOST, errorHandler: requestErrors.errorHandler }),
  );
  const server = createServer({
    // checkRequests answers a missing Host as every refusal, instead of Node's bare 400.
    requireHostHeader: false,
    // Slow clients (slowloris) are cut off with 408 instead of holding a connection for Node's 300 s default.
    headersTimeout: config.HTTP_HEADERS_TIMEOUT,
    requestTimeout: config.HTTP_REQUEST_TIMEOUT,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT,
    // Node checks the two timeouts on this tick (default 30 s), so it bounds how late a cut-off comes.
    connectionsCheckingInterval: Math.min(MAX_TIMEOUT_CHECK_MS, config.HTTP_HEADERS_TIMEOUT / 2),
  });
  const slots = limitConnections(
    server,
    { max: config.MAX_CONNECTIONS, perAddress: config.MAX_CONNECTIONS_PER_ADDRESS, trusted: config.TRUSTED_PROXIES },
    services.metrics,
  );
  const checks = checkRequests(refusals);
  server.on("request", slots(checks.wrap(listener)));
  // Held to the same count per connection: a pipelined batch of them would each be answered and logged.
  server.on("checkExpectation", slots(checks.expectationFailed));
  server.listen(config.PORT, config.HOST, () => {
    const info = server.address() as AddressInfo;
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
  // Past MAX_CONNECTIONS limitConnections closes a newcomer it found no idle slot for, so the file
  // descriptors Postgres and Redis need stay free; Node's own cap, one above, only backs it up.
  server.maxConnections = config.MAX_CONNECTIONS + 1;
  answerClientErrors(server, refusals);

  // Graceful shutdown (README, "Shutdown"): readiness fails at once so the
  // load balancer stops sending new requests, while the listener keeps
  // serving for SHUTDOWN_DRAIN_DELAY (endpoint removal takes a moment to
  // propagate) with `Connection: close` on every response; then the listener
  // closes, in-flight requests finish, background writes and queued mail
  // drain and the pools close. Nothing holds the process past the drain
  // delay + SHUTDOWN_TIMEOUT.
  let stopping = false;
  let lastConnectionAt = 0;
  // Connections accepted whose first request has not been read yet: closing idle connections
  // would reset them, though their request may already sit in the socket.
  const unread = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    lastConnectionAt = Date.now();
    unread.add(socket);
    socket.once("close", () => unread.delete(socket));
  });
  server.on("request", (request: IncomingMessage) => unread.delete(request.socket));
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    lifecycle.draining = true;
    clearInterval(rotation);
    stopCleanup();
    logger.info("shutting_down", { signal, drain_ms: config.SHUTDOWN_DRAIN_DELAY });
    const exitBy = Date.now() + config.SHUTDOWN_DRAIN_DELAY + config.SHUTDOWN_TIMEOUT;
    const force = setTimeout(() => {
      logger.error("shutdown_timeout", { after_ms: config.SHUTDOWN_DRAIN_DELAY + config.SHUTDOWN_TIMEOUT });
      process.exit(1);
    }, config.SHUTDOWN_DRAIN_DELAY + config.SHUTDOWN_TIMEOUT);
    force.unref();
    await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DRAIN_DELAY));
    // Closing the listener resets connections still waiting in the accept queue, and closing
    // idle ones resets those not read yet: wait until new connections have stopped for a moment
    // (the load balancer has let go) and every accepted one has sent its request, at most half
    // of SHUTDOWN_TIMEOUT, so the rest of it is left for the requests in flight.
    const giveUpAt = Date.now() + config.SHUTDOWN_TIMEOUT / 2;
    while ((Date.now() - lastConnectionAt < QUIET_BEFORE_CLOSE_MS || unread.size > 0) && Date.now() < giveUpAt) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    server.close(async () => {
      // Ledger writes and mail that followed responses finish before the pools close. A mail
      // waiting to be retried (up to 21 s) holds the exit only until just before the forced one.
      const drained = Promise.all([services.background.drain(), services.mailOutbox?.drain()]).then(() => true);
      const cutOff = new Promise<false>((resolve) =>
        setTimeout(() => resolve(false), Math.max(0, exitBy - CLOSE_MARGIN_MS - Date.now())).unref(),
      );
      if (!(await Promise.race([drained, cutOff]))) logger.warn("shutdown_drain_cut_short", {});
      deps.mailer?.close?.();
      // The last spans (those of the drained work) are exported before the process exits.
      await Promise.allSettled([deps.db.close(), deps.kv.close(), tracing?.shutdown()]);
      logger.info("stopped", {});
      process.exit(0);
    });
    if ("closeIdleConnections" in server) server.closeIdleConnections();
    logger.info("listener_closed", {});
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    logger.error("startup_failed", { message: error instanceof Error ? error.message : String(error) });
  }
  process.exit(1);
});
