import { createRoute, z } from "@hono/zod-openapi";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { errors } from "../../core/errors.js";
import { MAX_PASSKEYS_PER_USER } from "../../core/mfa/passkeys.js";
import { deliverTokens } from "../cookies.js";
import { RecoveryCodesSchema } from "../login-answer.js";
import { requireAccessToken, tokenUser } from "../middleware/bearer.js";
import { acceptBody } from "../middleware/body.js";
import { requireStepUp } from "../middleware/step-up.js";
import { createRouter, problem, problems, REFRESH_COOKIE } from "../openapi.js";
import { identifyRequest } from "../request-scope.js";
import {
  cookieFlag,
  TenantParamSchema,
  TenantResourceParamSchema,
  TokenResponseSchema,
  UUID_PATTERN,
} from "../schemas.js";
import {
  AuthenticationResponseSchema,
  PasskeyOptionsSchema,
  PasskeySchema,
  passkeyName,
  passkeyView,
  RegistrationResponseSchema,
  WebAuthnOptionsSchema,
} from "./passkey-schemas.js";

const bearer = { security: [{ bearer: [] }] };
const tags = ["Passkeys"];

const registrationOptions = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/mfa/passkeys/registration/options",
  tags,
  summary: "Options to create a passkey for the caller",
  description:
    "The challenge is good for one registration within 5 minutes. Existing passkeys are excluded. A caller who has " +
    "a second factor needs a login with one within the last 5 minutes (otherwise 403 `step_up_required`), here " +
    "and at the registration: a stolen session must not add a factor of its own. A user holds at most " +
    `${MAX_PASSKEYS_PER_USER} passkeys: with that many, here and at the registration, 409 \`limit_reached\`.`,
  ...bearer,
  middleware: [requireAccessToken(), requireStepUp("new_factor")] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: {
      description: "PublicKeyCredentialCreationOptions (JSON)",
      content: { "application/json": { schema: WebAuthnOptionsSchema } },
    },
    ...problems(401, 403, 404, 409),
  },
});

const register = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/mfa/passkeys/registration",
  tags,
  summary: "Store the passkey the browser created",
  ...bearer,
  middleware: [requireAccessToken(), requireStepUp("new_factor"), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z
            .object({ response: RegistrationResponseSchema, name: passkeyName.optional() })
            .openapi("RegisterPasskey"),
        },
      },
    },
  },
  responses: {
    201: {
      description: "Registered; with the first recovery codes (shown only now) when the user had none",
      content: {
        "application/json": {
          schema: PasskeySchema.extend({
            recovery_codes: RecoveryCodesSchema.optional(),
          }),
        },
      },
    },
    ...problems(400, 401, 403, 404, 409, 413, 415),
  },
});

const list = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/mfa/passkeys",
  tags,
  summary: "The caller's passkeys",
  ...bearer,
  middleware: [requireAccessToken()] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: {
      description: "Oldest first",
      content: { "application/json": { schema: z.object({ passkeys: z.array(PasskeySchema) }) } },
    },
    ...problems(401, 403, 404),
  },
});

const rename = createRoute({
  method: "patch",
  path: "/t/{tenant}/v1/mfa/passkeys/{id}",
  tags,
  summary: "Rename one of the caller's passkeys",
  ...bearer,
  middleware: [requireAccessToken(), acceptBody("json")] as const,
  request: {
    params: TenantResourceParamSchema,
    body: {
      required: true,
      content: { "application/json": { schema: z.object({ name: passkeyName }).strict().openapi("RenamePasskey") } },
    },
  },
  responses: {
    200: { description: "Renamed", content: { "application/json": { schema: PasskeySchema } } },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/t/{tenant}/v1/mfa/passkeys/{id}",
  tags,
  summary: "Remove one of the caller's passkeys",
  description: "Step-up: needs a login with a second factor within the last 5 minutes (403 `step_up_required`).",
  ...bearer,
  middleware: [requireAccessToken(), requireStepUp()] as const,
  request: { params: TenantResourceParamSchema },
  responses: { 204: { description: "Removed" }, ...problems(401, 403, 404) },
});

const authenticationOptions = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/passkeys/authentication/options",
  tags,
  summary: "Options to log in with a passkey (passwordless)",
  description:
    "No credentials are listed: the browser offers the user's discoverable passkeys for this site. " +
    "`challenge_id` names the single-use challenge (5 minutes). Rate limited as `login`.",
  request: { params: TenantParamSchema },
  responses: {
    200: {
      description: "PublicKeyCredentialRequestOptions (JSON) and its challenge id",
      content: { "application/json": { schema: PasskeyOptionsSchema } },
    },
    ...problems(404, 429, 503),
  },
});

const authenticate = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/passkeys/authentication",
  tags,
  summary: "Log in with a passkey",
  description:
    "amr is `hwk` for a device-bound passkey, `swk` for a synced one, plus `mfa` when the authenticator " +
    "verified the user. A signature counter that did not grow is refused (a cloned authenticator). When the " +
    "tenant's MFA policy binds the user, a passkey that did not verify the user is refused (403 `mfa_required`).",
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z
            .object({ challenge_id: z.string().max(64), response: AuthenticationResponseSchema, cookie: cookieFlag })
            .openapi("PasskeyLogin"),
        },
      },
    },
  },
  responses: {
    200: {
      description: "Logged in",
      content: { "application/json": { schema: TokenResponseSchema } },
      headers: REFRESH_COOKIE,
    },
    ...problems(400, 401, 404, 413, 415, 429, 503),
    403: problem(
      "The account is disabled (account_disabled), or the tenant's MFA policy needs a passkey that verifies the user (mfa_required)",
    ),
  },
});

const notFound = () => errors.notFound("No such passkey.");

export const passkeyRoutes = createRouter()
  .openapi(registrationOptions, async (c) => {
    const { accounts, passkeys } = c.get("services");
    const user = await tokenUser(c);
    const view = await accounts.view(user);
    c.header("Cache-Control", "no-store");
    return c.json(
      await passkeys.registrationOptions(c.get("tenant"), { id: user.id, email: view.email, name: view.name }),
      200,
    );
  })
  .openapi(register, async (c) => {
    const { passkeys, mfa } = c.get("services");
    const body = c.req.valid("json");
    const passkey = await passkeys.finishRegistration(
      c.get("tenant"),
      c.get("auth").sub,
      body.response as RegistrationResponseJSON,
      body.name ?? null,
    );
    const recoveryCodes = await mfa.firstRecoveryCodes(c.get("tenant"), c.get("auth").sub);
    c.header("Cache-Control", "no-store");
    return c.json({ ...passkeyView(passkey), ...(recoveryCodes ? { recovery_codes: recoveryCodes } : {}) }, 201);
  })
  .openapi(list, async (c) => {
    const passkeys = await c.get("services").passkeys.list(c.get("tenant"), c.get("auth").sub);
    return c.json({ passkeys: passkeys.map(passkeyView) }, 200);
  })
  .openapi(rename, async (c) => {
    const { id } = c.req.valid("param");
    if (!UUID_PATTERN.test(id)) throw notFound();
    const renamed = await c
      .get("services")
      .passkeys.rename(c.get("tenant"), c.get("auth").sub, id, c.req.valid("json").name);
    return c.json(passkeyView(renamed), 200);
  })
  .openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    if (!UUID_PATTERN.test(id)) throw notFound();
    await c.get("services").passkeys.remove(c.get("tenant"), c.get("auth").sub, id);
    await c.get("services").mfa.afterRemoval(c.get("tenant"), c.get("auth").sub);
    return c.body(null, 204);
  })
  .openapi(authenticationOptions, async (c) => {
    const { challengeId, options } = await c.get("services").passkeys.startAuthentication(c.get("tenant"), null);
    c.header("Cache-Control", "no-store");
    return c.json({ challenge_id: challengeId, options }, 200);
  })
  .openapi(authenticate, async (c) => {
    const { passkeys, sessions, clientIp } = c.get("services");
    const tenant = c.get("tenant");
    const body = c.req.valid("json");
    const { user, amr } = await passkeys.login(tenant, body.challenge_id, body.response as AuthenticationResponseJSON);
    const { response } = await sessions.start(
      tenant,
      user,
      { authMethod: "passkey", amr },
      { userAgent: c.req.header("user-agent") ?? null, ip: clientIp(c) },
    );
    identifyRequest(c.get("scope"), user.id, response.session_id);
    c.header("Cache-Control", "no-store");
    return c.json(deliverTokens(c, response, body.cookie === true), 200);
  });
