import { Layout } from "./layout.js";
import type { PageContext } from "./page.js";

/** Where a newcomer goes from `/`: each entry a path on this server and what is there. */
export interface HomeLinks {
  /** `/docs`, when the rendered reference is served. */
  docs: string | null;
  openapi: string;
  /** The default tenant's discovery document, when that tenant exists. */
  discovery: string | null;
  /** Any tenant's discovery document, `{tenant}` standing for its slug. */
  discoveryPattern: string;
  health: string;
  readiness: string;
}

function Entry(props: { href: string; text: string; about: string }) {
  return (
    <li>
      <a href={props.href}>{props.text}</a>
      <span class="hint">{props.about}</span>
    </li>
  );
}

/**
 * `GET /` in a browser: what this server is and where to go. It names no
 * version and lists no tenant (only the seeded `default` one's discovery).
 */
export function HomePage(props: { page: PageContext; links: HomeLinks }) {
  const { links } = props;
  return (
    <Layout page={props.page} title="Start here" heading="This authority is running">
      <p>
        It serves an HTTP API for sign-up, login, tokens and sessions, with one issuer per tenant. Users sign in through
        the applications built on it; this page is for their developers.
      </p>
      <ul class="entries">
        {links.docs && <Entry href={links.docs} text="API reference" about="Every route, tried out in the browser." />}
        <Entry href={links.openapi} text="OpenAPI document" about="The same reference as OpenAPI 3.1 JSON." />
        {links.discovery && (
          <Entry
            href={links.discovery}
            text="Discovery of the default tenant"
            about="Its issuer, JWKS and endpoints (OpenID Connect Discovery)."
          />
        )}
        <Entry href={links.health} text="Liveness" about="Answers 200 while the process serves requests." />
        <Entry href={links.readiness} text="Readiness" about="Answers 200 when Postgres and Redis answer." />
      </ul>
      <p class="muted">
        Every tenant publishes its discovery document at <code>{links.discoveryPattern}</code>.
      </p>
    </Layout>
  );
}
