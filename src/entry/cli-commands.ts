import { randomBytes } from "node:crypto";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { AdminUserView } from "../core/accounts/user-admin.js";
import { ADMIN_SCOPE } from "../core/api-keys/key-scopes.js";
import { errors } from "../core/errors.js";
import { CreateApiKeySchema } from "../http/routes/api-keys.js";
import type { Operator } from "./operator.js";

/** Bad arguments: the command's usage is printed and the exit code is 2. */
export class UsageError extends Error {}

/** The largest page the admin listing serves. */
const PAGE_LIMIT = 100;

type Options = Record<string, string | undefined>;

/** What a command does once its arguments are checked (before anything is opened). */
type Task = (operator: Operator) => Promise<void>;

interface AdminCommand {
  usage: string;
  options: string[];
  /** Checks the arguments (a UsageError when wrong) and returns the work. */
  prepare(options: Options): Task;
}

export const ADMIN_COMMANDS: Record<string, AdminCommand> = {
  "create-admin": {
    usage: "create-admin --tenant T --email E",
    options: ["tenant", "email"],
    prepare(options) {
      const tenant = required(options, "tenant");
      const email = required(options, "email");
      return async (operator) => {
        let user = await findByEmail(operator, tenant, email, false);
        if (!user) {
          // 32 characters of base64url: 192 random bits, far past the password policy.
          const password = randomBytes(24).toString("base64url");
          user = await operator.createUser(tenant, email, password);
          console.log(`created user ${user.id} <${user.email}> in tenant "${tenant}"`);
          console.log(`password (shown only now): ${password}`);
        }
        if (user.scopes.includes(ADMIN_SCOPE)) {
          console.log(`user ${user.id} <${user.email}> already holds ${ADMIN_SCOPE}`);
        } else {
          user = await operator.updateUser(tenant, user.id, { scopes: [...user.scopes, ADMIN_SCOPE] });
          console.log(`user ${user.id} <${user.email}> now holds ${ADMIN_SCOPE} (from its next token or refresh)`);
        }
        if (user.disabled) console.log("note: the user is disabled; enable-user lets it log in");
      };
    },
  },
  "create-service-key": {
    usage: "create-service-key --tenant T --name N --scopes a,b [--expires-at RFC3339]",
    options: ["tenant", "name", "scopes", "expires-at"],
    prepare(options) {
      const tenant = required(options, "tenant");
      const parsed = CreateApiKeySchema.safeParse({
        name: required(options, "name"),
        scopes: required(options, "scopes")
          .split(",")
          .map((scope) => scope.trim())
          .filter(Boolean),
        expires_at: options["expires-at"],
      });
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `--${flagOf(issue.path[0])} ${issue.message}`);
        throw new UsageError(problems.join("; "));
      }
      return async (operator) => {
        const created = await operator.createServiceKey(tenant, parsed.data);
        console.log(
          `service key ${created.id} (prefix ${created.prefix}) "${created.name}" of tenant "${tenant}", ` +
            `scopes: ${created.scopes.join(",") || "(none)"}, expires: ${created.expires_at ?? "never"}`,
        );
        console.log("key (shown only now):");
        console.log(created.key);
      };
    },
  },
  "list-users": {
    usage: "list-users --tenant T [--email E] [--limit N]",
    options: ["tenant", "email", "limit"],
    prepare(options) {
      const tenant = required(options, "tenant");
      const most = options.limit === undefined ? Number.POSITIVE_INFINITY : positiveInteger(options.limit, "limit");
      return async (operator) => {
        const users: AdminUserView[] = [];
        let cursor: string | undefined;
        do {
          const limit = Math.min(PAGE_LIMIT, most - users.length);
          const page = await operator.listUsers(tenant, { email: options.email, limit, cursor });
          users.push(...page.users);
          cursor = page.next_cursor ?? undefined;
        } while (cursor && users.length < most);
        printTable(users);
      };
    },
  },
  "disable-user": {
    usage: "disable-user --tenant T (--email E | --id ID)",
    options: ["tenant", "email", "id"],
    prepare: (options) => setDisabled(options, true),
  },
  "enable-user": {
    usage: "enable-user --tenant T (--email E | --id ID)",
    options: ["tenant", "email", "id"],
    prepare: (options) => setDisabled(options, false),
  },
};

/** The admin command's work for these arguments; a UsageError for anything else. */
export function prepareCommand(command: AdminCommand, args: string[]): Task {
  const options = Object.fromEntries(command.options.map((name) => [name, { type: "string" as const }]));
  return command.prepare(parseOptions(args, options) as Options);
}

/**
 * A command's `--name value` options, strictly (no positionals, nothing
 * unknown); a UsageError otherwise. parseArgs keeps the last of a repeated
 * option: `--tenant a --tenant b` would act on b unasked, so a repeat is refused.
 */
export function parseOptions(
  args: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
): Record<string, unknown> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: false, tokens: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once`);
    seen.add(token.name);
  }
  return parsed.values;
}

function setDisabled(options: Options, disabled: boolean): Task {
  const tenant = required(options, "tenant");
  if ((options.email === undefined) === (options.id === undefined)) {
    throw new UsageError("give exactly one of --email and --id");
  }
  return async (operator) => {
    const found =
      options.id !== undefined
        ? await operator.getUser(tenant, options.id)
        : await findByEmail(operator, tenant, options.email as string, true);
    const user = await operator.updateUser(tenant, found.id, { disabled });
    console.log(
      disabled
        ? `disabled user ${user.id} <${user.email}>: its sessions and API keys ended, and it cannot log in`
        : `enabled user ${user.id} <${user.email}>: it can log in again (its revoked API keys stay revoked)`,
    );
  };
}

async function findByEmail(operator: Operator, tenant: string, email: string, must: true): Promise<AdminUserView>;
async function findByEmail(
  operator: Operator,
  tenant: string,
  email: string,
  must: boolean,
): Promise<AdminUserView | undefined>;
async function findByEmail(operator: Operator, tenant: string, email: string, must: boolean) {
  const [user] = (await operator.listUsers(tenant, { email, limit: 1 })).users;
  if (!user && must) throw errors.notFound(`No user with the email address ${email} in tenant "${tenant}".`);
  return user;
}

function required(options: Options, name: string): string {
  const value = options[name];
  if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

function positiveInteger(value: string, name: string): number {
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new UsageError(`--${name} must be a whole number from 1`);
  return Number(value);
}

const flagOf = (field: PropertyKey | undefined) => (field === "expires_at" ? "expires-at" : String(field));

function printTable(users: AdminUserView[]): void {
  const header = ["id", "email", "scopes", "disabled", "created_at", "last_login_at"];
  const rows = users.map((user) => [
    user.id,
    user.email,
    user.scopes.join(",") || "-",
    user.disabled ? "yes" : "no",
    user.created_at,
    user.last_login_at ?? "-",
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  for (const row of [header, ...rows]) {
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    );
  }
  console.log(`${users.length} user(s)`);
}
