/**
 * A user agent for black-box sign-ins over real HTTP. What it knows of the
 * provider is API.md's sentence on the login page: "a form with inputs named
 * `email` and `password` (and any hidden inputs); submitting all of its
 * inputs to its `action` continues the flow". Any other page with a single
 * form (the consent page) it submits as pressing Enter would: every input
 * and the first submit button. It keeps cookies per host, follows redirects
 * itself, and stops at the address the flow is to end at (the client's
 * redirect URI) without fetching it.
 */
import { formsOf, type PageForm } from "./html-forms.js";

/** An HTML page the agent was shown on the way; `login` when it held the email/password form. */
export interface ShownPage {
  url: URL;
  status: number;
  kind: "login" | "form";
}

/** Where a navigation ended: back at the expected address (not fetched), or on a page. */
export type Arrival = { returned: URL } | { page: { url: URL; status: number; html: string } };

export interface Credentials {
  email: string;
  password: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const MAX_PAGES = 5;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

interface StoredCookie {
  value: string;
  secure: boolean;
}

/** Same endpoint: the query (code, state, iss, error) is what the flow adds. */
const isAt = (url: URL, target: URL) => url.origin === target.origin && url.pathname === target.pathname;

export class HostedAgent {
  /** Cookies by host name (host-only cookies; Domain and Path are not needed by the flows driven here). */
  private readonly jar = new Map<string, Map<string, StoredCookie>>();

  private remember(url: URL, response: Response): void {
    const cookies = this.jar.get(url.hostname) ?? new Map<string, StoredCookie>();
    this.jar.set(url.hostname, cookies);
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      const attribute = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(key))?.slice(key.length + 1) ?? null;
      const maxAge = attribute("max-age");
      const expires = attribute("expires");
      const gone = (maxAge !== null && Number(maxAge) <= 0) || (expires !== null && Date.parse(expires) <= Date.now());
      if (gone) cookies.delete(name);
      else cookies.set(name, { value, secure: attributes.some((a) => a.toLowerCase() === "secure") });
    }
  }

  /** Secure cookies go over https or to a loopback host only, as browsers treat them. */
  private cookieHeader(url: URL): Record<string, string> {
    const trustworthy = url.protocol === "https:" || LOOPBACK.has(url.hostname);
    const pairs = [...(this.jar.get(url.hostname) ?? [])]
      .filter(([, cookie]) => trustworthy || !cookie.secure)
      .map(([name, cookie]) => `${name}=${cookie.value}`);
    return pairs.length > 0 ? { Cookie: pairs.join("; ") } : {};
  }

  /** Goes to `url` and follows redirects until a page, or until they point at `returnTo`. */
  async open(
    url: string | URL,
    returnTo: string | URL,
    form?: { body: URLSearchParams; origin: string },
  ): Promise<Arrival> {
    const target = new URL(returnTo);
    let current = new URL(url);
    let body = form?.body;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (isAt(current, target)) return { returned: current };
      const response = await fetch(current, {
        method: body ? "POST" : "GET",
        redirect: "manual",
        headers: {
          Accept: "text/html",
          ...this.cookieHeader(current),
          ...(body && form ? { "Content-Type": "application/x-www-form-urlencoded", Origin: form.origin } : {}),
        },
        body: body?.toString(),
        signal: AbortSignal.timeout(15_000),
      });
      this.remember(current, response);
      const location = response.headers.get("location");
      if (!REDIRECTS.has(response.status) || location === null) {
        return { page: { url: current, status: response.status, html: await response.text() } };
      }
      await response.body?.cancel();
      current = new URL(location, current);
      // 307 and 308 repeat the request as it was; the others turn it into a GET.
      if (response.status !== 307 && response.status !== 308) body = undefined;
    }
    throw new Error(`more than ${MAX_REDIRECTS} redirects from ${url}`);
  }

  /** Submits a form of the page at `pageUrl` with all its inputs, `values` filled in, and its first submit button. */
  submit(pageUrl: URL, form: PageForm, values: Record<string, string>, returnTo: string | URL) {
    const action = new URL(form.action, pageUrl);
    const [button] = form.submitters;
    const fields = new URLSearchParams({ ...form.fields, ...values });
    if (button?.name) fields.append(button.name, button.value);
    if (form.method === "post") return this.open(action, returnTo, { body: fields, origin: pageUrl.origin });
    action.search = fields.toString();
    return this.open(action, returnTo);
  }

  /**
   * Drives an authorization request to its end at `returnTo` (the client's
   * redirect URI): signs in on a login page (with `credentials`), submits any
   * other single-form page (consent), and fails on anything else. Resolves
   * the URL the browser was sent back to and the pages shown on the way.
   */
  async authorize(
    url: string | URL,
    returnTo: string,
    credentials?: Credentials,
  ): Promise<{ callback: URL; pages: ShownPage[] }> {
    const pages: ShownPage[] = [];
    let arrival: Arrival = await this.open(url, returnTo);
    while ("page" in arrival) {
      const { page } = arrival;
      const forms = formsOf(page.html);
      const login = forms.find((form) => "email" in form.fields && "password" in form.fields);
      const stuck = (why: string) =>
        new Error(`${why} at ${page.url} (${page.status}) after ${pages.length} pages:\n${page.html.slice(0, 2_000)}`);
      if (pages.length >= MAX_PAGES) throw stuck("too many pages");
      if (login) {
        if (!credentials) throw stuck("a login page but no credentials");
        if (pages.some((shown) => shown.kind === "login")) throw stuck("the login page again (login refused)");
        pages.push({ url: page.url, status: page.status, kind: "login" });
        arrival = await this.submit(page.url, login, { ...credentials }, returnTo);
      } else if (page.status === 200 && forms.length === 1) {
        pages.push({ url: page.url, status: page.status, kind: "form" });
        arrival = await this.submit(page.url, forms[0] as PageForm, {}, returnTo);
      } else {
        throw stuck("neither a login page nor a single form");
      }
    }
    return { callback: arrival.returned, pages };
  }
}
