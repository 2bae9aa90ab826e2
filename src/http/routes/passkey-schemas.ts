import { z } from "@hono/zod-openapi";
import type { PasskeyRecord } from "../../core/ports/database.js";
import { singleLine } from "../schemas.js";

/* The passkey routes' request and response shapes (also read by MFA enrollment and verification). */

const base64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/, "must be base64url");

// The JSON encodings of PublicKeyCredential (WebAuthn §5.1.8 toJSON); the library checks every byte.
const credentialFields = {
  id: base64url(1365),
  rawId: base64url(1365),
  type: z.literal("public-key"),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
};

export const RegistrationResponseSchema = z
  .object({
    ...credentialFields,
    response: z.object({
      clientDataJSON: base64url(8192),
      attestationObject: base64url(65_536),
      transports: z.array(z.string().max(32)).max(16).optional(),
    }),
  })
  .openapi("PasskeyRegistrationResponse");

export const AuthenticationResponseSchema = z
  .object({
    ...credentialFields,
    response: z.object({
      clientDataJSON: base64url(8192),
      authenticatorData: base64url(8192),
      signature: base64url(1024),
      userHandle: base64url(256).optional(),
    }),
  })
  .openapi("PasskeyAuthenticationResponse");

export const passkeyName = singleLine().trim().min(1, "must not be empty").max(100, "must be at most 100 characters");

export const PasskeySchema = z
  .object({
    id: z.string().uuid(),
    kind: z.literal("passkey"),
    name: z.string().nullable(),
    device_type: z.enum(["singleDevice", "multiDevice"]).openapi({ description: "multiDevice: synced (amr swk)" }),
    backed_up: z.boolean(),
    transports: z.array(z.string()),
    created_at: z.string().datetime(),
    last_used_at: z.string().datetime().nullable(),
  })
  .openapi("Passkey");

export const WebAuthnOptionsSchema = z.record(z.string(), z.unknown()).openapi({
  description: "WebAuthn options JSON for navigator.credentials (PublicKeyCredential.parse*OptionsFromJSON)",
});

export const PasskeyOptionsSchema = z
  .object({ challenge_id: z.string(), options: WebAuthnOptionsSchema })
  .openapi("PasskeyAuthenticationOptions");

export const passkeyView = (p: PasskeyRecord) => ({
  id: p.id,
  kind: "passkey" as const,
  name: p.name,
  device_type: p.deviceType,
  backed_up: p.backedUp,
  transports: p.transports,
  created_at: p.createdAt.toISOString(),
  last_used_at: p.lastUsedAt?.toISOString() ?? null,
});
