import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/**
 * A small OpenID Connect provider for attack tests: it logs in whoever
 * `nextUser` names without a login page, and can be told to misbehave
 * (wrong nonce, audience, issuer or signature, an expired ID token or one
 * issued an hour from now, an error answer, garbage). The happy path against a full provider is in the
 * oidc-provider suite; this one exists to break things on purpose.
 */
type Misbehaviour =
  | "none"
  | "wrong-nonce"
  | "wrong-audience"
  | "wrong-issuer"
  | "bad-signature"
  | "expired"
  | "future-iat"
  | "token-error"
  | "echo-form"
  | "garbage"
  | "deny"
  | "unavailable";

export interface FakeUser {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export async function startFakeOidc(clientId: string, clientSecret: string) {
  let { privateKey, publicKey } = await generateKeyPair("RS256");
  const { privateKey: otherKey } = await generateKeyPair("RS256");
  let jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const codes = new Map<string, { user: FakeUser; nonce: string; challenge: string; redirectUri: string }>();
  const state = {
    nextUser: { sub: "alice", email: "alice@idp.example", email_verified: true, name: "Alice" } as FakeUser,
    misbehave: "none" as Misbehaviour,
    tokenRequests: 0,
    jwksRequests: 0,
  };
  let issuer = "";

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
  const readForm = async (req: IncomingMessage) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    return new URLSearchParams(text);
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", issuer);
    if (url.pathname === "/.well-known/openid-configuration") {
      return send(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        userinfo_endpoint: `${issuer}/userinfo`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["client_secret_post"],
      });
    }
    if (url.pathname === "/jwks") {
      state.jwksRequests++;
      return send(res, 200, { keys: [jwk] });
    }
    if (url.pathname === "/authorize") {
      const p = url.searchParams;
      const target = new URL(p.get("redirect_uri") ?? "");
      if (p.get("client_id") !== clientId || p.get("code_challenge_method") !== "S256") {
        return send(res, 400, { error: "invalid_request" });
      }
      if (state.misbehave === "deny" || state.misbehave === "unavailable") {
        target.searchParams.set("error", state.misbehave === "deny" ? "access_denied" : "temporarily_unavailable");
      } else {
        const code = randomBytes(16).toString("hex");
        codes.set(code, {
          user: state.nextUser,
          nonce: p.get("nonce") ?? "",
          challenge: p.get("code_challenge") ?? "",
          redirectUri: target.toString(),
        });
        target.searchParams.set("code", code);
      }
      target.searchParams.set("state", p.get("state") ?? "");
      res.writeHead(302, { Location: target.toString() });
      return res.end();
    }
    if (url.pathname === "/token" && req.method === "POST") {
      state.tokenRequests++;
      const form = await readForm(req);
      // As some providers do: the refusal quotes the request it refuses.
      if (state.misbehave === "echo-form") {
        return send(res, 400, { error: "invalid_request", error_description: `unexpected form ${form}` });
      }
      const grant = codes.get(form.get("code") ?? "");
      codes.delete(form.get("code") ?? "");
      const verifier = form.get("code_verifier") ?? "";
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      if (
        !grant ||
        form.get("client_id") !== clientId ||
        form.get("client_secret") !== clientSecret ||
        form.get("redirect_uri") !== grant.redirectUri ||
        challenge !== grant.challenge ||
        state.misbehave === "token-error"
      ) {
        return send(res, 400, { error: "invalid_grant" });
      }
      if (state.misbehave === "garbage") return send(res, 200, "<html>not json</html>");
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        ...grant.user,
        nonce: state.misbehave === "wrong-nonce" ? "another-nonce" : grant.nonce,
      };
      const idToken = await new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuer(state.misbehave === "wrong-issuer" ? "https://evil.example" : issuer)
        .setAudience(state.misbehave === "wrong-audience" ? "someone-else" : clientId)
        .setIssuedAt(state.misbehave === "expired" ? now - 7200 : state.misbehave === "future-iat" ? now + 3600 : now)
        .setExpirationTime(
          state.misbehave === "expired" ? now - 3600 : state.misbehave === "future-iat" ? now + 7200 : now + 300,
        )
        .sign(state.misbehave === "bad-signature" ? otherKey : privateKey);
      return send(res, 200, {
        access_token: `at-${grant.user.sub}`,
        token_type: "Bearer",
        expires_in: 300,
        id_token: idToken,
      });
    }
    if (url.pathname === "/userinfo") {
      const sub = (req.headers.authorization ?? "").replace(/^Bearer at-/, "");
      return send(res, 200, { sub, email: `${sub}@userinfo.example`, email_verified: false });
    }
    send(res, 404, { error: "not_found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    state,
    /** A new signing key under the same `kid` ("k1"), as some providers rotate. */
    async rotateKey() {
      ({ privateKey, publicKey } = await generateKeyPair("RS256"));
      jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type FakeOidc = Awaited<ReturnType<typeof startFakeOidc>>;
