import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";

/**
 * A real OpenID Connect provider (panva's `oidc-provider`, certified) on
 * 127.0.0.1 at a random port, with one confidential client
 * (client_secret_post, PKCE S256 required, code flow only), a few test
 * accounts, the development login form and consent granted on its own.
 * `browse` plays the browser through it.
 */

export interface TestAccount {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
}

export const OIDC_ACCOUNTS: Record<string, TestAccount> = {
  alice: { sub: "alice", email: "Alice@OP.example", email_verified: true, name: "Alice Example" },
  bob: { sub: "bob", email: "bob@op.example", email_verified: true, name: "Bob Example" },
  carol: { sub: "carol", email: "carol@op.example", email_verified: false, name: "Carol Example" },
};

export interface OidcProviderOptions {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /**
   * true: email and name in the ID token as well. false (the provider's
   * default, OIDC Core §5.4): the ID token of the code flow carries only
   * `sub`, the rest comes from UserInfo.
   */
  claimsInIdToken?: boolean;
  /**
   * The host in the issuer URL, resolving to 127.0.0.1 (default 127.0.0.1).
   * `localhost` puts the provider on another site than a service at
   * 127.0.0.1, as a real one is, so a browser applies SameSite rules.
   */
  host?: string;
}

/** The few parts of oidc-provider's (untyped) API used here. */
interface Grant {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface ProviderContext {
  oidc: {
    client: { clientId: string };
    session: { accountId: string; grantIdFor(clientId: string): string | undefined };
    result?: { consent?: { grantId?: string } };
    requestParamScopes: Set<string>;
    provider: {
      Grant: (new (init: {
        clientId: string;
        accountId: string;
      }) => Grant) & {
        find(id: string): Promise<Grant | undefined>;
      };
    };
  };
}
interface Provider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(middleware: (ctx: { oidc?: { route?: string } }, next: () => Promise<void>) => Promise<void>): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

/** oidc-provider announces its development defaults on the console; quiet while any provider runs. */
let running = 0;
const loud = { warn: console.warn, info: console.info };
function quietConsole(): () => void {
  if (running++ === 0) {
    Object.assign(loud, { warn: console.warn, info: console.info });
    const filter =
      (original: (...args: unknown[]) => void) =>
      (...args: unknown[]) => {
        if (typeof args[0] === "string" && args[0].includes("oidc-provider")) return;
        original(...args);
      };
    console.warn = filter(loud.warn);
    console.info = filter(loud.info);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--running === 0) Object.assign(console, loud);
  };
}

export async function startOidcProvider(options: OidcProviderOptions) {
  const restoreConsole = quietConsole();
  // @ts-expect-error oidc-provider ships no type declarations (they live in @types/oidc-provider).
  const { default: ProviderClass } = await import("oidc-provider");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://${options.host ?? "127.0.0.1"}:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: "op-1", alg: "RS256", use: "sig" };
  const seen = { routes: {} as Record<string, number>, errors: [] as string[] };

  const provider: Provider = new ProviderClass(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    pkce: { required: () => true },
    scopes: ["openid", "email", "profile"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    conformIdTokenClaims: !options.claimsInIdToken,
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: unknown, sub: string) {
      const account = Object.values(OIDC_ACCOUNTS).find((a) => a.sub === sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ ...account }) };
    },
    // No consent screen: whatever the client asks for is granted.
    async loadExistingGrant(ctx: ProviderContext) {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
      const grant =
        (grantId ? await oidc.provider.Grant.find(grantId) : undefined) ??
        new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
      grant.addOIDCScope([...oidc.requestParamScopes].join(" "));
      await grant.save();
      return grant;
    },
  });
  // How often each endpoint answered (by oidc-provider's route names: token, userinfo, ...).
  provider.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    if (route) seen.routes[route] = (seen.routes[route] ?? 0) + 1;
  });
  for (const event of ["server_error", "authorization.error", "grant.error", "userinfo.error"]) {
    provider.on(event, (_ctx, error) => seen.errors.push(`${event}: ${(error as Error).message}`));
  }
  server.on("request", provider.callback());

  return {
    issuer,
    seen,
    /** Signs `login` (an OIDC_ACCOUNTS key) in at the provider, or cancels with null; see `browse`. */
    login: (authorizationUrl: string, login: string | null) => browse(issuer, authorizationUrl, login),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      restoreConsole();
    },
  };
}

export type OidcProvider = Awaited<ReturnType<typeof startOidcProvider>>;

/** The cookies of one browser, by name, with their paths (RFC 6265 path match, host-only). */
class CookieJar {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      const attr = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1) ?? null;
      const expires = attr("expires");
      const gone = attr("max-age") === "0" || (expires !== null && Date.parse(expires) <= Date.now()) || !value;
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, { value, path: attr("path") ?? "/" });
    }
  }

  header(url: URL): string {
    return [...this.cookies]
      .filter(
        ([, c]) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`),
      )
      .map(([name, c]) => `${name}=${c.value}`)
      .join("; ");
  }
}

/**
 * A fresh browser from `authorizationUrl` through the provider's development
 * interactions: the login form (login=`login`, any password), a consent form
 * should one come, each redirect followed with the cookies the provider set;
 * with `login` null, the user clicks "Cancel" on the first page instead.
 * Resolves with the first URL outside the provider: the client's redirect_uri
 * with code (or error), state and iss.
 */
async function browse(issuer: string, authorizationUrl: string, login: string | null): Promise<URL> {
  const jar = new CookieJar();
  const origin = new URL(issuer).origin;
  let url = new URL(authorizationUrl);
  let form: URLSearchParams | null = null;
  for (let step = 0; step < 20; step++) {
    if (url.origin !== origin) return url;
    const cookie = jar.header(url);
    const response: Response = await fetch(url, {
      method: form ? "POST" : "GET",
      redirect: "manual",
      headers: {
        ...(cookie ? { Cookie: cookie } : {}),
        ...(form ? { "Content-Type": "application/x-www-form-urlencoded" } : {}),
      },
      body: form,
    });
    jar.store(response);
    form = null;
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      continue;
    }
    const html: string = await response.text();
    const cancel = /<a href="([^"]+)">\[ Cancel \]<\/a>/.exec(html)?.[1];
    if (login === null && response.status === 200 && cancel) {
      url = new URL(cancel.replaceAll("&amp;", "&"), url);
      continue;
    }
    const action = /<form[^>]*action="([^"]+)"[^>]*method="post"/i.exec(html)?.[1];
    const prompt: string | undefined = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (response.status !== 200 || !action || !prompt || login === null) {
      throw new Error(`The provider answered ${url.pathname} with ${response.status}: ${html.slice(0, 500)}`);
    }
    form = new URLSearchParams({ prompt, ...(prompt === "login" ? { login, password: "any" } : {}) });
    url = new URL(action.replaceAll("&amp;", "&"), url);
  }
  throw new Error("The provider kept the browser for more than 20 steps.");
}
