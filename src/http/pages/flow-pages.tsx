import { Sentence } from "./isolated.js";
import { FormScript, Layout, PostForm } from "./layout.js";
import type { PageContext } from "./page.js";

/**
 * The consent page of a third-party client: what it asks for, in words;
 * Allow and Deny submit the same form (`decision`), so Enter allows.
 */
export function ConsentPage(props: {
  page: PageContext;
  requestId: string;
  clientName: string;
  scopes: string[];
  email: string;
  /** The provider session the page was shown to: an answer from another (the user switched) counts for no one. */
  sessionId: string;
}) {
  const { page } = props;
  const s = page.strings.consent;
  return (
    <Layout page={page} title={s.title} heading={<Sentence text={s.heading} value={props.clientName} />}>
      <p>
        <Sentence text={s.intro} value={props.clientName} />
      </p>
      <ul class="scopes">
        {props.scopes.map((scope) => (
          <li>{Object.hasOwn(s.scopes, scope) ? s.scopes[scope] : scope}</li>
        ))}
      </ul>
      <p class="muted">
        <Sentence text={s.signedInAs} value={props.email} />
      </p>
      <PostForm page={page} action="/consent" hidden={{ request: props.requestId, session: props.sessionId }}>
        <div class="actions">
          <button type="submit" name="decision" value="allow" class="primary">
            {s.allow}
          </button>
          <button type="submit" name="decision" value="deny" class="secondary">
            {s.deny}
          </button>
        </div>
      </PostForm>
      <FormScript page={page} />
    </Layout>
  );
}

/** RP-initiated logout without a valid id_token_hint: the user confirms (a POST with the CSRF token). */
export function LogoutPage(props: { page: PageContext; hidden: Record<string, string | null>; email: string | null }) {
  const { page } = props;
  const s = page.strings;
  return (
    <Layout page={page} title={s.logout.title}>
      <p>{s.logout.question}</p>
      {props.email && (
        <p class="muted">
          <Sentence text={s.consent.signedInAs} value={props.email} />
        </p>
      )}
      <PostForm page={page} action="/logout" hidden={props.hidden}>
        <button type="submit" class="primary">
          {s.logout.submit}
        </button>
      </PostForm>
    </Layout>
  );
}
