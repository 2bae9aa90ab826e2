/** What the client's method groups share. */
import type { ClientSession } from "./session.js";
import type { Transport } from "./transport.js";

export interface Context {
  transport: Transport;
  session: ClientSession;
  tenant: string;
  /** The service/admin credential (`sk_...` or the bootstrap admin key). */
  apiKey: string | undefined;
  /** Cookie mode by default. */
  cookie: boolean;
}

/** `/t/{tenant}{rest}`. */
export const tenantPath = (ctx: Context, rest: string) => `/t/${ctx.tenant}${rest}`;

/** A path segment from a caller's value (ids, provider and connection names). */
export const segment = (value: string) => {
  if (typeof value !== "string" || value === "") throw new TypeError("a path parameter must be a non-empty string");
  return encodeURIComponent(value);
};
