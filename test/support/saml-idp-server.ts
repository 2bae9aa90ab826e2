import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { escapeHtml } from "../../src/core/html-escape.js";
import { createSamlIdp, type SamlIdp } from "./saml-idp.js";

/**
 * The test IdP (saml-idp.ts) behind loopback HTTP, for a real browser. Its
 * SSO URL takes the SP's AuthnRequest (HTTP-Redirect binding) and shows a
 * sign-in form (any address, no password); submitting it answers as IdPs
 * do with the HTTP-POST binding (SAML Bindings §3.5): a page whose form
 * carries the signed SAMLResponse and the RelayState to the AuthnRequest's
 * ACS URL and submits itself.
 */

export interface SamlIdpServer {
  idp: SamlIdp;
  /** The SSO URL published in the metadata. */
  ssoUrl: string;
  /** Responses sent, by the email they name. */
  signedIn: string[];
  close(): Promise<void>;
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;

async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** `host` names 127.0.0.1 in the URLs (e.g. `localhost`, another site than a service at 127.0.0.1). */
export async function startSamlIdpServer(host = "127.0.0.1"): Promise<SamlIdpServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  const ssoUrl = `${origin}/sso`;
  const idp = createSamlIdp({ entityId: `${origin}/metadata`, ssoUrl });
  const signedIn: string[] = [];

  server.on("request", async (req, res) => {
    const url = new URL(req.url ?? "/", origin);
    const send = (status: number, html: string) => {
      res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
      res.end(html);
    };
    try {
      if (url.pathname === "/sso" && req.method === "GET") {
        idp.parseAuthnRequest(url); // refuses what is not an AuthnRequest before a form is shown
        // The query goes along unchanged: the response answers the AuthnRequest it holds.
        send(
          200,
          page(
            "Test IdP sign-in",
            `<h1>Test IdP</h1><form method="post" action="/sso">` +
              `<input type="hidden" name="request" value="${escapeHtml(url.search)}">` +
              `<label>Email <input type="email" name="email" required></label> ` +
              `<button type="submit">Sign in</button></form>`,
          ),
        );
      } else if (url.pathname === "/sso" && req.method === "POST") {
        const form = await formOf(req);
        const request = idp.parseAuthnRequest(`${ssoUrl}${form.get("request") ?? ""}`);
        const email = form.get("email") ?? "";
        if (!request.acsUrl) throw new Error("The AuthnRequest names no ACS URL.");
        const samlResponse = await idp.response({
          respondTo: request,
          nameId: email,
          attributes: { email, name: "Test User" },
        });
        signedIn.push(email);
        const relayState =
          request.relayState === undefined
            ? ""
            : `<input type="hidden" name="RelayState" value="${escapeHtml(request.relayState)}">`;
        send(
          200,
          page(
            "Signing you in",
            `<form method="post" action="${escapeHtml(request.acsUrl)}">` +
              `<input type="hidden" name="SAMLResponse" value="${escapeHtml(samlResponse)}">${relayState}` +
              `<noscript><button type="submit">Continue</button></noscript></form>` +
              "<script>document.forms[0].submit()</script>",
          ),
        );
      } else {
        send(404, page("Not found", "<p>Not found</p>"));
      }
    } catch (error) {
      send(400, page("Bad request", `<p>${escapeHtml((error as Error).message)}</p>`));
    }
  });

  return {
    idp,
    ssoUrl,
    signedIn,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
