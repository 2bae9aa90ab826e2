/**
 * compose.yaml as data: the file as written (for the schema) and as Compose
 * reads it (YAML merge keys applied, `${VAR:-default}` interpolated against
 * an environment), for compose.test.ts and the image test, which replays its
 * services' commands in the built image.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "./k8s.js";

const COMPOSE_FILE = join(ROOT, "compose.yaml");

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  read_only?: boolean;
  tmpfs?: string[];
  [field: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  [field: string]: unknown;
}

/** The file parsed as YAML, merge keys (`<<:`) applied, nothing interpolated. */
export function readCompose(text = readFileSync(COMPOSE_FILE, "utf8")): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

/**
 * Compose's interpolation of one string (compose-spec "Interpolation"):
 * `$$` is a literal `$`; `${VAR}`, `${VAR:-default}` (unset or empty) and
 * `${VAR-default}` (unset). Any other form throws, so the file stays within
 * what this replay reads as Compose would.
 */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$/g, (match, name, operator, fallback) => {
    if (match === "$$") return "$";
    if (match === "$") throw new Error(`unsupported interpolation in ${JSON.stringify(text)}`);
    const value = env[name as string];
    if (operator === ":-") return value ? value : (fallback as string);
    if (operator === "-") return value ?? (fallback as string);
    return value ?? "";
  });
}

/** Every string of a value interpolated (Compose interpolates values, never keys). */
function interpolateAll<T>(value: T, env: Record<string, string | undefined>): T {
  if (typeof value === "string") return interpolate(value, env) as T;
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env)])) as T;
  }
  return value;
}

/** The file as `docker compose config` would see it with this shell environment (none: every default). */
export function loadCompose(env: Record<string, string | undefined> = {}): ComposeFile {
  return interpolateAll(readCompose(), env);
}
