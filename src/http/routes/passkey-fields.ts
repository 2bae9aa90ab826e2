import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import type { z } from "zod";
import { AuthenticationResponseSchema, RegistrationResponseSchema } from "./passkey-schemas.js";

/**
 * The fields the pages' passkey script puts into a form: the credential
 * (WebAuthn §5.1.8 JSON, checked by the JSON routes' schemas) and the id of
 * the single-use challenge its options came with.
 */

const CHALLENGE_ID_MAX = 64;

function parsed<T>(schema: z.ZodType, text: string | undefined): T | null {
  if (!text) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const result = schema.safeParse(value);
  return result.success ? (result.data as T) : null;
}

/** A `navigator.credentials.get()` answer, or null when it is missing or malformed. */
export const assertionField = (text: string | undefined) =>
  parsed<AuthenticationResponseJSON>(AuthenticationResponseSchema, text);

/** A `navigator.credentials.create()` answer, or null when it is missing or malformed. */
export const attestationField = (text: string | undefined) =>
  parsed<RegistrationResponseJSON>(RegistrationResponseSchema, text);

/** The options' challenge id, or null when missing or too long to be one. */
export const challengeIdField = (text: string | undefined): string | null =>
  text && text.length <= CHALLENGE_ID_MAX ? text : null;
