import type { OpenAPIHono } from "@hono/zod-openapi";
import { createNeonHttpDatabase } from "../adapters/postgres/neon-http.js";
import { UpstashKeyValueStore } from "../adapters/redis/upstash.js";
import { createConsoleLogger } from "../adapters/telemetry/console-logger.js";
import { type Config, ConfigError, loadConfig } from "../config.js";
import { AppError } from "../core/errors.js";
import { cryptoRandom, systemClock } from "../core/ports/clock.js";
import { createApp } from "../http/app.js";
import type { AppEnv } from "../http/context.js";
import { problemResponse } from "../http/problem.js";

const logger = createConsoleLogger();

/** Built once per isolate (and again only if the bindings object changes). */
let built: { env: object; app: OpenAPIHono<AppEnv> } | undefined;

function appFor(env: Record<string, unknown>): OpenAPIHono<AppEnv> {
  if (built?.env === env) return built.app;
  const config: Config = loadConfig(env, "worker");
  // loadConfig guarantees these on Workers (crossCheck), the assertions only narrow types.
  const app = createApp({
    config,
    db: createNeonHttpDatabase(config.DATABASE_URL as string, config.NEON_FETCH_ENDPOINT),
    kv: new UpstashKeyValueStore({
      url: config.UPSTASH_REDIS_REST_URL as string,
      token: config.UPSTASH_REDIS_REST_TOKEN as string,
      prefix: config.REDIS_KEY_PREFIX,
    }),
    clock: systemClock,
    random: cryptoRandom,
    logger,
  });
  built = { env, app };
  return app;
}

export default {
  fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Response | Promise<Response> {
    let app: OpenAPIHono<AppEnv>;
    try {
      app = appFor(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // Variable names and reasons go to the log only, never to clients.
      logger.error("invalid_configuration", { problems: error.problems });
      return problemResponse(
        new AppError(
          503,
          "misconfigured",
          "Service misconfigured",
          "The service configuration is invalid; see its logs.",
        ),
      );
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Record<string, unknown>>;
