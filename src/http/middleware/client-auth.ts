import type { Context, MiddlewareHandler } from "hono";
import { fromBase64Url, fromUtf8 } from "../../core/crypto/encoding.js";
import type { OAuthClient } from "../../core/oidc/client-types.js";
import { invalidClient, OAuthError } from "../../core/oidc/oauth-error.js";
import { presentParameters } from "../../core/oidc/present-parameters.js";
import type { AppEnv } from "../context.js";
import { actAs } from "../request-scope.js";
import { triedBearer } from "./admin-auth.js";
import { requireServiceScope } from "./service-auth.js";

export type ClientAuthMethod = "client_secret_basic" | "client_secret_post" | "none";

/** RFC 6749 §2.3.1: the id and secret in a Basic header are form-urlencoded before base64. */
function formDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/** The id and secret of an `Authorization: Basic` header; null when it is not Basic, undefined when malformed. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null | undefined {
  const match = /^Basic(?:[ ]+([^ ]*))?[ ]*$/i.exec(header ?? "");
  if (!match) return /^Basic(\s|$)/i.test(header ?? "") ? undefined : null;
  const bytes = fromBase64Url(match[1] ?? "");
  let text: string;
  try {
    text = bytes ? fromUtf8.decode(bytes) : "";
  } catch {
    return undefined;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  const id = formDecoded(text.slice(0, colon));
  const secret = formDecoded(text.slice(colon + 1));
  return id && secret !== undefined ? { id, secret } : undefined;
}

/**
 * The client making a request to an OAuth endpoint (token, introspection,
 * revocation), authenticated by client_secret_basic (`Authorization: Basic`),
 * client_secret_post (`client_id` and `client_secret` in the form) or, for a
 * public client, by its `client_id` alone (`none`). RFC 6749 §2.3: one
 * method per request; both at once is `invalid_request`. Any failure is
 * RFC 6749 §5.2 `invalid_client` (401), challenging for Basic when Basic was tried.
 */
export async function clientFromRequest(
  c: Context<AppEnv>,
  form: Record<string, string>,
): Promise<{ client: OAuthClient; method: ClientAuthMethod }> {
  const { clients, tokens } = c.get("services");
  const tenant = c.get("tenant");
  const realm = tokens.issuer(tenant);
  const basic = basicCredentials(c.req.header("authorization"));
  if (basic !== null) {
    if (form.client_secret !== undefined) {
      throw new OAuthError("invalid_request", "Use one client authentication method: Basic or client_secret.");
    }
    if (basic === undefined) throw invalidClient("The Basic credentials are malformed.", realm);
    if (form.client_id !== undefined && form.client_id !== basic.id) {
      throw new OAuthError("invalid_request", "client_id differs from the client of the Basic credentials.");
    }
    const client = await clients.authenticate(tenant, basic.id, basic.secret);
    if (!client) throw invalidClient("Client authentication failed.", realm);
    return { client, method: "client_secret_basic" };
  }
  const id = form.client_id;
  if (!id) throw invalidClient("Client authentication is required.");
  if (form.client_secret !== undefined) {
    const client = await clients.authenticate(tenant, id, form.client_secret);
    if (!client) throw invalidClient("Client authentication failed.");
    return { client, method: "client_secret_post" };
  }
  const client = await clients.find(tenant, id);
  // A confidential client must prove itself; only a public one is known by its id alone.
  if (client?.type !== "public") throw invalidClient("Client authentication failed.");
  return { client, method: "none" };
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;.*)?$/i;

/** client_id and client_secret of a form body; RFC 6749 §3.2: a parameter is sent at most once. */
async function formCredentials(c: Context<AppEnv>): Promise<Record<string, string>> {
  if (!FORM_TYPE.test(c.req.header("content-type") ?? "")) return {};
  // Hono keeps the text, so the route's form validator reads the same body again.
  const params = presentParameters(new URLSearchParams(await c.req.text()));
  const fields: Record<string, string> = {};
  for (const name of ["client_id", "client_secret"]) {
    const [value, ...more] = params.getAll(name);
    if (more.length > 0) throw new OAuthError("invalid_request", `Each parameter must be sent once: ${name}.`);
    if (value !== undefined) fields[name] = value;
  }
  return fields;
}

/**
 * Introspection and revocation callers: an API key holding `scope` (Bearer,
 * as before), or an OAuth client, which the route finds on
 * `c.get("oauthClient")`: a confidential one authenticated by Basic or
 * client_secret_post, and, where `publicClients`, a public one by its
 * `client_id` (RFC 7009 §2.1: it can only revoke tokens issued to it, which
 * their holder could use anyway). Without any credentials the API key's 401
 * (problem+json) answers.
 */
export function requireServiceScopeOrClient(
  scope: string,
  { publicClients }: { publicClients: boolean },
): MiddlewareHandler<AppEnv> {
  const apiKey = requireServiceScope(scope);
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (triedBearer(header)) return apiKey(c, next);
    const form = await formCredentials(c);
    if (!/^Basic(\s|$)/i.test(header ?? "") && form.client_id === undefined) return apiKey(c, next);
    const { client, method } = await clientFromRequest(c, form);
    if (method === "none" && !publicClients) {
      throw invalidClient("Only a confidential client, with its secret, may introspect tokens.");
    }
    c.set("oauthClient", client);
    actAs(c.get("scope"), { type: "client", id: client.clientId });
    await next();
  };
}
