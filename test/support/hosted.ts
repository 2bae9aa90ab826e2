/**
 * A browser stand-in for the hosted pages over `app.request`: it keeps
 * cookies (as a browser would for this host), reads a page's forms and
 * submits them with every input, as API.md says a client may.
 */
import { createHash, randomBytes } from "node:crypto";
import { TEST_ADMIN_KEY } from "./app.js";
import { formsOf } from "./html-forms.js";

type Request = (path: string, init?: RequestInit) => Response | Promise<Response>;

export { formsOf };

export const FORM_HEADERS = { "Content-Type": "application/x-www-form-urlencoded" };

export class TestBrowser {
  readonly cookies = new Map<string, string>();

  constructor(private readonly request: Request) {}

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (/max-age=0/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader(): Record<string, string> {
    const header = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    return header ? { Cookie: header } : {};
  }

  async get(path: string): Promise<Response> {
    // Redirects are the browser's to follow (with its cookies), never the transport's.
    const response = await this.request(path, { headers: this.cookieHeader(), redirect: "manual" });
    this.remember(response);
    return response;
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = FORM_HEADERS) {
    const response = await this.request(path, {
      method: "POST",
      redirect: "manual",
      headers: { ...headers, ...this.cookieHeader() },
      body: new URLSearchParams(fields).toString(),
    });
    this.remember(response);
    return response;
  }

  /** Submits the page's `index`th form with all its inputs, `changes` filled in. */
  async submit(html: string, changes: Record<string, string> = {}, index = 0): Promise<Response> {
    const form = formsOf(html)[index];
    if (!form) throw new Error(`no form ${index} on the page:\n${html}`);
    return this.post(form.action, { ...form.fields, ...changes });
  }

  /** Follows same-app redirects (paths under the app) until an answer that is not one, or one leaving the app. */
  async follow(response: Response, origin: string): Promise<Response> {
    let current = response;
    for (let hops = 0; hops < 10 && [302, 303].includes(current.status); hops++) {
      const location = current.headers.get("location") ?? "";
      const url = new URL(location, origin);
      if (url.origin !== origin) return current;
      current = await this.get(url.pathname + url.search);
    }
    return current;
  }
}

export function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** Registers an OAuth client of the tenant through the admin API; resolves its id (and secret when confidential). */
export async function registerClient(
  request: Request,
  tenant: string,
  body: Record<string, unknown>,
  adminKey = TEST_ADMIN_KEY,
): Promise<{ client_id: string; client_secret?: string }> {
  const response = await request(`/t/${tenant}/v1/admin/clients`, {
    method: "POST",
    headers: { Authorization: `Bearer ${adminKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ type: "public", ...body }),
  });
  if (response.status !== 201) throw new Error(`client: ${response.status} ${await response.text()}`);
  return (await response.json()) as { client_id: string; client_secret?: string };
}

/** Redeems an authorization code at the tenant's token endpoint as a public client does (its PKCE verifier, no secret). */
export function redeemCode(
  request: Request,
  tenant: string,
  grant: { code: string; clientId: string; redirectUri: string; verifier: string },
): Promise<Response> {
  return Promise.resolve(
    request(`/t/${tenant}/oauth2/token`, {
      method: "POST",
      headers: FORM_HEADERS,
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: grant.code,
        redirect_uri: grant.redirectUri,
        code_verifier: grant.verifier,
        client_id: grant.clientId,
      }).toString(),
    }),
  );
}
