/** Request fields whose values an audit entry may keep: flags, scopes and names, never secrets. */
const KEPT_VALUES = new Set([
  "scopes",
  "disabled",
  "email_verified",
  "enabled",
  "trust_email",
  "allow_idp_initiated",
  "slug",
  "type",
  "grant_types",
  "first_party",
  "overlap_seconds",
  "policy",
  "federated_logins",
]);

const VERBS: Record<string, string> = { POST: "create", PUT: "set", PATCH: "update", DELETE: "delete" };

/**
 * The audit action and target of an admin write, from its route pattern:
 * `PATCH /t/:tenant/v1/admin/users/:id` -> `admin.users.update` on user {id};
 * a POST to a verb after a resource (`users/:id/revoke-sessions`,
 * `signing-keys/rotate`) names that verb. Null for anything else.
 */
export function adminAction(
  method: string,
  pattern: string,
  params: Record<string, string>,
): { action: string; targetType: string | null; targetId: string | null } | null {
  const at = pattern.indexOf("/v1/admin/");
  const verb = VERBS[method];
  if (at < 0 || !verb) return null;
  const segments = pattern.slice(at + "/v1/admin/".length).split("/");
  const statics = segments.filter((s) => !s.startsWith(":")).map((s) => s.replace(/-/g, "_"));
  const lastParam = [...segments].reverse().find((s) => s.startsWith(":"));
  const resource = statics[0] ?? "unknown";
  const endsInVerb = method === "POST" && statics.length > 1 && !segments.at(-1)?.startsWith(":");
  return {
    action: `admin.${resource}.${endsInVerb ? statics.at(-1) : verb}`,
    targetType: resource.replace(/s$/, ""),
    targetId: lastParam ? (params[lastParam.slice(1)] ?? null) : null,
  };
}

/** What an audit entry keeps of an admin write's JSON body: every field's name, and the values of harmless ones. */
export function adminDetails(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return {};
  const fields = Object.keys(body).slice(0, 50);
  const values = Object.fromEntries(
    fields.filter((f) => KEPT_VALUES.has(f)).map((f) => [f, (body as Record<string, unknown>)[f]]),
  );
  return { fields, ...values };
}
