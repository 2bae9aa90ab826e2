#!/usr/bin/env node
// `npm run dev` (wrangler dev) reads secrets from .dev.vars; make one with
// fresh development secrets the first time, never overwriting an existing one.
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  writeFileSync(
    ".dev.vars",
    [
      "APP_ENV=development",
      "PUBLIC_URL=http://localhost:8787",
      `BOOTSTRAP_ADMIN_KEY=bootstrap_${randomBytes(32).toString("base64url")}`,
      `ENCRYPTION_KEYS=dev1:${randomBytes(32).toString("base64")}`,
      "# Point these at a Neon database and an Upstash Redis (npm run dev:edge needs neither):",
      "DATABASE_URL=",
      "UPSTASH_REDIS_REST_URL=",
      "UPSTASH_REDIS_REST_TOKEN=",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  console.log("Wrote .dev.vars with fresh development secrets; fill in DATABASE_URL and the Upstash settings.");
}
