import type { OpenAPIHono } from "@hono/zod-openapi";
import argon2Wasm from "@phi-ag/argon2/argon2.wasm";
import xmllintWasm from "xmllint-wasm/xmllint.wasm";
import { swaggerUiAssets } from "../adapters/docs/swagger-ui-worker.js";
import { createWasmArgon2Hasher } from "../adapters/passwords/wasm-argon2.js";
import { samlifyProtocol, useSchemaValidator } from "../adapters/saml/samlify.js";
import { createXmllintSchemaValidator } from "../adapters/saml/xml-schema-validator.js";

// SAML schema validation: the precompiled xmllint module; allocates nothing until the first SAML response.
useSchemaValidator(createXmllintSchemaValidator(xmllintWasm));

import { createLogMailer } from "../adapters/mail/log-mailer.js";
import { createPostmarkMailer } from "../adapters/mail/postmark.js";
import { createNeonHttpDatabase } from "../adapters/postgres/neon-http.js";
import { UpstashKeyValueStore } from "../adapters/redis/upstash.js";
import { createConsoleLogger } from "../adapters/telemetry/console-logger.js";
import { createOtelTracer } from "../adapters/telemetry/otel-tracer.js";
import { instrumentWorker, workerTraceConfig } from "../adapters/telemetry/otel-worker.js";
import { type Config, ConfigError, loadConfig } from "../config.js";
import { Sealer } from "../core/crypto/sealing.js";
import { AppError } from "../core/errors.js";
import { dailyCleanup, rotateDueKeys } from "../core/jobs.js";
import { encryptionKeysProblem } from "../core/key-check.js";
import { errorFields } from "../core/logging/error-fields.js";
import { cryptoRandom, systemClock } from "../core/ports/clock.js";
import type { Logger } from "../core/ports/logger.js";
import type { Mailer } from "../core/ports/mail.js";
import { createApp } from "../http/app.js";
import type { AppEnv, Services } from "../http/context.js";
import { requestIdFor } from "../http/middleware/request-id.js";
import { problemResponse } from "../http/problem.js";
import { buildServices } from "../http/services.js";
import { flushMetricsIfDue, isolateMetrics } from "./worker-metrics.js";

const logger = createConsoleLogger();

interface Built {
  app: OpenAPIHono<AppEnv>;
  services: Services;
  /** OTLP metrics of this isolate (when OTEL_EXPORTER_OTLP_ENDPOINT is set). */
  metrics: ReturnType<typeof isolateMetrics>;
  /** The same handlers under otel-cf-workers (when OTEL_EXPORTER_OTLP_ENDPOINT is set): a span per event, exported after it. */
  traced?: ExportedHandler<Record<string, unknown>>;
}

/**
 * Postmark when its token is set; otherwise the mail is logged, but never in
 * production, which gets no mailer until one is configured: the flows that
 * need a mail answer 503 `mail_unavailable`, and signup skips its mail.
 */
function workerMailer(config: Config, log: Logger): Mailer | undefined {
  if (config.POSTMARK_SERVER_TOKEN) {
    return createPostmarkMailer({
      serverToken: config.POSTMARK_SERVER_TOKEN,
      from: config.MAIL_FROM as string, // required with the token (crossCheck)
      apiUrl: config.POSTMARK_API_URL,
    });
  }
  if (config.APP_ENV === "production") return undefined;
  return createLogMailer(log, config.MAIL_FROM ?? "authority@localhost");
}

/** Built once per isolate (and again only if the bindings object changes). */
let built: { env: object; ready: Promise<Built> } | undefined;

async function build(env: Record<string, unknown>): Promise<Built> {
  const config = loadConfig(env, "worker");
  const traceConfig = workerTraceConfig(config);
  // loadConfig guarantees these on Workers (crossCheck); the assertions only narrow types.
  const log = createConsoleLogger(undefined, config.LOG_LEVEL);
  const deps = {
    config,
    db: createNeonHttpDatabase(
      config.DATABASE_URL as string,
      config.NEON_FETCH_ENDPOINT,
      config.DATABASE_STATEMENT_TIMEOUT,
    ),
    kv: new UpstashKeyValueStore({
      url: config.UPSTASH_REDIS_REST_URL as string,
      token: config.UPSTASH_REDIS_REST_TOKEN as string,
      prefix: config.REDIS_KEY_PREFIX,
      commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT,
    }),
    clock: systemClock,
    random: cryptoRandom,
    logger: log,
    mailer: workerMailer(config, log),
    sealer: await Sealer.create(config.ENCRYPTION_KEYS, cryptoRandom),
    passwords: await createWasmArgon2Hasher(argon2Wasm, cryptoRandom),
    samlProtocol: samlifyProtocol,
    clientIp: (c: { req: { header(name: string): string | undefined } }) => c.req.header("cf-connecting-ip") ?? null,
    // Spans go through otel-cf-workers' provider, registered by instrument() at the first traced event.
    tracer: traceConfig ? createOtelTracer() : undefined,
    docsUi: () => swaggerUiAssets,
    waitUntil: true,
  };
  const metrics = isolateMetrics(config, deps.logger);
  const services = buildServices({ ...deps, metrics });
  const isolate: Built = { app: createApp(deps, services), services, metrics };
  if (traceConfig) {
    // The handlers close over the bindings as given: otel-cf-workers hands them on
    // wrapped in a new proxy per event, which would defeat the per-bindings cache.
    isolate.traced = instrumentWorker(
      {
        fetch: (request, _env, ctx) => isolate.app.fetch(request, env, ctx),
        scheduled: async (controller, _env, ctx) => runScheduledJob(isolate, controller.cron, ctx),
      },
      traceConfig,
    );
  }
  return isolate;
}

/** wrangler.toml [triggers]: this cron runs the daily cleanup; every other one the key rotation. */
const CLEANUP_CRON = "43 3 * * *";

/**
 * The job of a cron event, in its background: key rotation, or the cleanup of
 * ended sessions, and the check of ENCRYPTION_KEYS. A failure is logged as
 * on Node, then left to reject, so Cloudflare still records the run as failed.
 */
function runScheduledJob({ services, metrics }: Built, cron: string, ctx: ExecutionContext): void {
  const { db, keyRing, logger, clock, config, sealer } = services;
  const cleanup = cron === CLEANUP_CRON;
  const job = cleanup
    ? dailyCleanup(db, clock.now(), { sessions: config.SESSION_RETENTION, auditEvents: config.AUDIT_RETENTION }, logger)
    : rotateDueKeys(db, keyRing, logger);
  const logged = job.catch((error: unknown) => {
    logger.error(cleanup ? "cleanup_job_failed" : "key_rotation_job_failed", { cron, ...errorFields(error) });
    throw error;
  });
  // No start to refuse at: each run checks that ENCRYPTION_KEYS opens the data (one query), logging
  // encryption_keys_unusable and failing the run when it does not.
  const keysChecked = encryptionKeysProblem(db, sealer, logger).then((problem) => {
    if (problem) throw new Error(problem);
  });
  // A cron run may be the isolate's only event for a while: its metrics are exported at its end.
  // Audit entries the job raised (key rotations) are written in the background too.
  const both = Promise.allSettled([logged, keysChecked]).then((results) => {
    for (const result of results) if (result.status === "rejected") throw result.reason;
  });
  ctx.waitUntil(both.finally(() => Promise.all([metrics?.flush(), services.background.drain()])));
}

function appFor(env: Record<string, unknown>): Promise<Built> {
  if (built?.env !== env) {
    const ready = build(env);
    built = { env, ready };
    // A failed build (bad configuration) is retried by the next request.
    ready.catch(() => {
      if (built?.ready === ready) built = undefined;
    });
  }
  return built.ready;
}

function misconfigured(error: ConfigError, request: Request | undefined): Response {
  // Variable names and reasons go to the log only, never to clients.
  logger.error("invalid_configuration", { problems: error.problems });
  const response = problemResponse(
    new AppError(503, "misconfigured", "Service misconfigured", "The configuration is invalid; see the logs."),
  );
  response.headers.set("X-Request-Id", requestIdFor(request?.headers.get("x-request-id"), cryptoRandom));
  return response;
}

export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Promise<Response> {
    let isolate: Built;
    try {
      isolate = await appFor(env);
    } catch (error) {
      if (error instanceof ConfigError) return misconfigured(error, request);
      throw error;
    }
    const response = await (isolate.traced?.fetch
      ? isolate.traced.fetch(request as Parameters<typeof isolate.traced.fetch>[0], env, ctx)
      : isolate.app.fetch(request, env, ctx));
    // No timers in an isolate: metrics leave from the request path, after the response.
    flushMetricsIfDue(isolate.metrics, ctx);
    return response;
  },

  /** Cron triggers (wrangler.toml [triggers]): the signing-key rotation (hourly) and the cleanup (daily). */
  async scheduled(controller: ScheduledController, env: Record<string, unknown>, ctx: ExecutionContext) {
    const isolate = await appFor(env);
    if (isolate.traced?.scheduled) return isolate.traced.scheduled(controller, env, ctx);
    runScheduledJob(isolate, controller.cron, ctx);
  },
} satisfies ExportedHandler<Record<string, unknown>>;
