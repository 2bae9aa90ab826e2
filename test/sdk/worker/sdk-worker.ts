/**
 * A tiny Worker using the built SDK as a Workers project would, bundled by
 * esbuild with the workerd/worker/browser conditions (so `#signature` is the
 * WebCrypto implementation) and run in workerd by Miniflare without
 * nodejs_compat. Used by test/sdk/worker.test.ts and bench/sdk-workerd.ts.
 *
 *   POST /verify        { token, fresh?, cache? }  one verification; `fresh` makes a new verifier, as a new isolate would
 *   POST /verify-many   { tokens }                  verdicts of many tokens (parity with Node)
 *   POST /bench         { token, n }                n verifications with the SDK
 *   POST /bench-raw     { token, n, jwk }           n raw crypto.subtle.verify calls with one imported key
 *   GET  /hono/...      Hono with requireAuth / requireScope
 *   GET  /fetch/...     withAuth
 */
import { type AuthOptions, createApiKeyVerifier, createVerifier, type Verifier, withAuth } from "@authority/sdk";
import { type AuthEnv, requireAuth, requireScope } from "@authority/sdk/hono";
import { Hono } from "hono";

interface Env {
  ISSUER: string;
  SERVICE_KEY: string;
  /** Optional: when the issuer's public URL is not where this Worker can reach it (the benchmark). */
  JWKS_URL?: string;
}

let shared: Verifier | undefined;
/** The isolate's verifier, made on the first request (the bindings are not known before). */
const sharedVerifier = (env: Env): Verifier => {
  shared ??= createVerifier(options(env));
  return shared;
};
let auth: AuthOptions | undefined;
let app: Hono<AuthEnv> | undefined;
type Handler = (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;
const fetchHandlers = new Map<string, Handler>();

const options = (env: Env, cache: "default" | "none" = "default") => ({
  issuer: env.ISSUER,
  audience: env.ISSUER,
  ...(env.JWKS_URL ? { jwksUrl: env.JWKS_URL } : {}),
  ...(cache === "none" ? { cache: false as const } : {}),
});

function authOptions(env: Env): AuthOptions {
  auth ??= {
    tokens: createVerifier(options(env)),
    apiKeys: createApiKeyVerifier({ issuer: env.ISSUER, apiKey: env.SERVICE_KEY }),
  };
  return auth;
}

function honoApp(env: Env): Hono<AuthEnv> {
  if (app) return app;
  app = new Hono<AuthEnv>().basePath("/hono");
  app.use("*", requireAuth(authOptions(env)));
  app.get("/me", (c) => c.json(c.get("auth")));
  app.get("/admin", requireScope("admin"), (c) => c.json(c.get("auth")));
  return app;
}

/** WebCrypto's import and verify parameters of a JWS key (RS256, ES256 or EdDSA: RFC 7518 §3, RFC 8037). */
function webCryptoOf(jwk: JsonWebKey): {
  imported: AlgorithmIdentifier | EcKeyImportParams;
  verify: AlgorithmIdentifier | EcdsaParams;
} {
  if (jwk.kty === "EC")
    return { imported: { name: "ECDSA", namedCurve: "P-256" }, verify: { name: "ECDSA", hash: "SHA-256" } };
  if (jwk.kty === "OKP") return { imported: { name: "Ed25519" }, verify: { name: "Ed25519" } };
  return {
    imported: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as AlgorithmIdentifier,
    verify: "RSASSA-PKCS1-v1_5",
  };
}

async function rawBench(token: string, n: number, jwk: JsonWebKey): Promise<number> {
  const [header, payload, signature] = token.split(".") as [string, string, string];
  const params = webCryptoOf(jwk);
  const key = await crypto.subtle.importKey("jwk", jwk, params.imported, false, ["verify"]);
  const bytes = Uint8Array.from(atob(signature.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const data = new TextEncoder().encode(`${header}.${payload}`);
  let valid = 0;
  for (let i = 0; i < n; i++) if (await crypto.subtle.verify(params.verify, key, bytes, data)) valid++;
  return valid;
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/hono/")) return honoApp(env).fetch(request, env, ctx);
    if (url.pathname.startsWith("/fetch/")) {
      let handler = fetchHandlers.get(url.pathname);
      if (!handler) {
        const scopes = url.pathname === "/fetch/admin" ? ["admin"] : [];
        handler = withAuth<[Env, ExecutionContext]>(async (_request, principal) => Response.json(principal), {
          ...authOptions(env),
          scopes,
        });
        fetchHandlers.set(url.pathname, handler);
      }
      return handler(request, env, ctx);
    }
    const body = (await request.json()) as Record<string, unknown>;
    if (url.pathname === "/verify") {
      const verifier = body.fresh
        ? createVerifier(options(env, body.cache as "default" | "none"))
        : sharedVerifier(env);
      const result = await verifier.verify(body.token as string, { waitUntil: (p) => ctx.waitUntil(p) });
      return Response.json({ result, backend: verifier.backend, stats: verifier.stats() });
    }
    if (url.pathname === "/verify-many") {
      const verifier = sharedVerifier(env);
      const results = [];
      for (const token of body.tokens as string[]) results.push(await verifier.verify(token));
      return Response.json({ results, backend: verifier.backend });
    }
    if (url.pathname === "/bench") {
      const verifier = sharedVerifier(env);
      let valid = 0;
      for (let i = 0; i < (body.n as number); i++) if ((await verifier.verify(body.token as string)).ok) valid++;
      return Response.json({ valid });
    }
    if (url.pathname === "/bench-raw") {
      return Response.json({ valid: await rawBench(body.token as string, body.n as number, body.jwk as JsonWebKey) });
    }
    return new Response("not found", { status: 404 });
  },
};
