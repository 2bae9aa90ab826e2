/** What the client's method groups share. */
import type { Result } from "./result.js";
import type { ClientSession } from "./session.js";
import type { Call, RequestOptions, Transport } from "./transport.js";
import type { PageQuery } from "./types.js";

export interface Context {
  transport: Transport;
  session: ClientSession;
  tenant: string;
  /** The service/admin credential (`sk_...` or the bootstrap admin key). */
  apiKey: string | undefined;
  /** Cookie mode: the client's `cookie` option (off unless `true`), the default of each call's `cookie`. */
  cookie: boolean;
}

/** `/t/{tenant}{rest}`. */
export const tenantPath = (ctx: Context, rest: string) => `/t/${ctx.tenant}${rest}`;

/** A path segment from a caller's value (ids, provider and connection names). */
export const segment = (value: string) => {
  if (typeof value !== "string" || value === "") throw new TypeError("a path parameter must be a non-empty string");
  return encodeURIComponent(value);
};

/** Sends an admin call with the call's `apiKey` option or the client's. */
export const adminSender =
  (ctx: Context) =>
  <T>(call: Omit<Call, "bearer">, options: RequestOptions): Promise<Result<T>> =>
    ctx.transport.send<T>({ ...call, bearer: options.apiKey ?? ctx.apiKey }, options);

/**
 * The page a listing call asks for (`limit`, `cursor`), out of its options,
 * and the request options left: listings that answered every item before
 * they were paged take both in their one options argument.
 */
export const pageOf = ({ limit, cursor, ...options }: PageQuery & RequestOptions) =>
  [queryOf({ limit, cursor }), options] as const;

/** Query parameters as strings; absent ones left out. */
export const queryOf = (query: object): Record<string, string | undefined> =>
  Object.fromEntries(
    Object.entries(query).map(([name, value]) => [
      name,
      value === undefined || value === null ? undefined : String(value),
    ]),
  );
