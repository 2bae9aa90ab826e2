import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { nodeEnvProblem } from "../config.js";

interface DevSecrets {
  BOOTSTRAP_ADMIN_KEY: string;
  ENCRYPTION_KEYS: string;
}

/**
 * Development only: secrets not given in the environment are generated once
 * and kept in `${DATA_DIR}/dev-secrets.json` (mode 0600), so `npm start`
 * works with no setup and data sealed yesterday still opens today. Outside
 * development no secret has a default: config.ts requires them.
 * Returns the file's path when it supplied anything.
 */
export function fillDevSecrets(env: Record<string, string | undefined>): string | undefined {
  if ((env.APP_ENV ?? "development") !== "development") return undefined;
  // NODE_ENV=production without APP_ENV is refused by config.ts: no secrets are made for it.
  if (nodeEnvProblem(env)) return undefined;
  if (env.BOOTSTRAP_ADMIN_KEY && env.ENCRYPTION_KEYS) return undefined;
  const dir = env.DATA_DIR || "./data";
  const file = join(dir, "dev-secrets.json");
  let secrets: DevSecrets;
  try {
    secrets = JSON.parse(readFileSync(file, "utf8")) as DevSecrets;
  } catch {
    secrets = {
      BOOTSTRAP_ADMIN_KEY: `bootstrap_${randomBytes(32).toString("base64url")}`,
      ENCRYPTION_KEYS: `dev1:${randomBytes(32).toString("base64")}`,
    };
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  env.BOOTSTRAP_ADMIN_KEY ||= secrets.BOOTSTRAP_ADMIN_KEY;
  env.ENCRYPTION_KEYS ||= secrets.ENCRYPTION_KEYS;
  return file;
}
