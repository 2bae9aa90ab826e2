import { PASSWORD_MIN_LENGTH } from "../../core/accounts/password-policy.js";
import { PASSKEY_JS_ASSET } from "./assets.js";
import { Sentence } from "./isolated.js";
import { Alert, Field, FormScript, Layout, Linked, PostForm } from "./layout.js";
import type { PageContext } from "./page.js";

/** A way to sign in at an upstream (an OAuth provider or a SAML connection): a link that starts it. */
export interface FederatedOption {
  label: string;
  href: string;
}

/** Field errors by input name, and a message for the whole form. */
export interface FormProblems {
  message?: string;
  fields?: Record<string, string>;
}

const withRequest = (path: string, requestId: string | null) =>
  requestId ? `${path}?request=${encodeURIComponent(requestId)}` : path;

/**
 * Each field's problem as a sentence naming the field, and the field that
 * gets the focus: the first of `order` with a problem (WCAG 3.3.1: where
 * the form needs fixing), else the first.
 */
function fieldErrors<N extends string>(page: PageContext, problems: FormProblems | undefined, order: [N, string][]) {
  const shown = problems?.fields ?? {};
  const errors: Partial<Record<N, string>> = {};
  for (const [name, field] of order) {
    const problem = Object.hasOwn(shown, name) ? shown[name] : undefined;
    if (problem !== undefined) errors[name] = page.strings.fieldProblem(field, problem);
  }
  const focus = order.find(([name]) => errors[name] !== undefined)?.[0] ?? order[0]?.[0];
  return { errors, focus };
}

/**
 * The login form: `email`, `password` and hidden `csrf` and `request`;
 * posting every input to its action signs in (API.md). Links to sign-up and
 * password reset; one link per upstream login of the tenant. The passkey
 * button is hidden until its script finds WebAuthn in the browser.
 */
export function LoginPage(props: {
  page: PageContext;
  requestId: string | null;
  email?: string;
  problems?: FormProblems;
  federated: FederatedOption[];
}) {
  const { page } = props;
  const s = page.strings;
  return (
    <Layout page={page} title={s.login.title}>
      {props.problems?.message && <Alert kind="error">{props.problems.message}</Alert>}
      <PostForm page={page} action="/login" hidden={{ request: props.requestId }}>
        <Field
          name="email"
          label={s.fields.email}
          type="email"
          autocomplete="username"
          value={props.email}
          autofocus={!props.email}
          maxlength={320}
        />
        <Field
          name="password"
          label={s.fields.password}
          type="password"
          autocomplete="current-password"
          autofocus={Boolean(props.email)}
        />
        <button type="submit" class="primary">
          {s.login.submit}
        </button>
      </PostForm>
      <PostForm
        page={page}
        action="/login/passkey"
        hidden={{ request: props.requestId, challenge_id: "", credential: "" }}
      >
        <button
          type="button"
          id="passkey-login"
          class="secondary"
          hidden
          data-ceremony="get"
          data-options={`${page.base}/v1/passkeys/authentication/options`}
        >
          {s.login.passkey}
        </button>
        <p class="field-error" aria-live="polite" data-failed={s.login.passkeyFailed} />
      </PostForm>
      <script src={PASSKEY_JS_ASSET.href} nonce={page.nonce} defer />
      <div class="links">
        <p>
          <a href={`${page.base}/password/forgot`}>{s.login.forgot}</a>
        </p>
        <p>
          {s.login.noAccount} <a href={withRequest(`${page.base}/signup`, props.requestId)}>{s.login.signUp}</a>
        </p>
      </div>
      {props.federated.length > 0 && (
        <section aria-labelledby="federated-heading">
          <h2 class="divider" id="federated-heading">
            {s.login.orContinueWith}
          </h2>
          {props.federated.map((option) => (
            <a class="button secondary" href={option.href}>
              <Sentence text={s.login.continueWith} value={option.label} />
            </a>
          ))}
        </section>
      )}
    </Layout>
  );
}

/**
 * The sign-up form; `emailTaken` says the address has an account, with links
 * to sign in (within the same authorization request) or reset its password.
 */
export function SignupPage(props: {
  page: PageContext;
  requestId: string | null;
  email?: string;
  name?: string;
  problems?: FormProblems;
  emailTaken?: boolean;
}) {
  const { page } = props;
  const s = page.strings;
  const { errors, focus } = fieldErrors(page, props.problems, [
    ["email", s.fields.email],
    ["name", s.fields.name],
    ["password", s.fields.password],
  ]);
  const login = withRequest(`${page.base}/login`, props.requestId);
  const taken = s.signup.emailTaken;
  return (
    <Layout page={page} title={s.signup.title}>
      {props.problems?.message && <Alert kind="error">{props.problems.message}</Alert>}
      {props.emailTaken && (
        <Alert kind="error">
          <Linked
            text={taken.text}
            links={{
              signIn: { href: login, text: taken.signIn },
              reset: { href: `${page.base}/password/forgot`, text: taken.reset },
            }}
          />
        </Alert>
      )}
      <PostForm page={page} action="/signup" hidden={{ request: props.requestId }}>
        <Field
          name="email"
          label={s.fields.email}
          type="email"
          autocomplete="email"
          value={props.email}
          error={errors.email}
          autofocus={focus === "email"}
          maxlength={320}
        />
        <Field
          name="name"
          label={`${s.fields.name} ${s.fields.optional}`}
          type="text"
          autocomplete="name"
          value={props.name}
          required={false}
          error={errors.name}
          autofocus={focus === "name"}
          maxlength={200}
        />
        <Field
          name="password"
          label={s.fields.password}
          type="password"
          autocomplete="new-password"
          hint={s.passwordHint(PASSWORD_MIN_LENGTH)}
          minlength={PASSWORD_MIN_LENGTH}
          error={errors.password}
          autofocus={focus === "password"}
        />
        <button type="submit" class="primary">
          {s.signup.submit}
        </button>
      </PostForm>
      <FormScript page={page} />
      <p class="links">
        {s.signup.haveAccount} <a href={login}>{s.signup.signIn}</a>
      </p>
    </Layout>
  );
}

export function ForgotPage(props: { page: PageContext; email?: string; problems?: FormProblems; sent?: boolean }) {
  const { page } = props;
  const s = page.strings;
  const { errors } = fieldErrors(page, props.problems, [["email", s.fields.email]]);
  return (
    <Layout page={page} title={props.sent ? s.forgot.sentTitle : s.forgot.title}>
      {props.sent ? (
        <Alert kind="info">{s.forgot.sent}</Alert>
      ) : (
        <>
          {props.problems?.message && <Alert kind="error">{props.problems.message}</Alert>}
          <p>{s.forgot.intro}</p>
          <PostForm page={page} action="/password/forgot">
            <Field
              name="email"
              label={s.fields.email}
              type="email"
              autocomplete="email"
              value={props.email}
              error={errors.email}
              autofocus
              maxlength={320}
            />
            <button type="submit" class="primary">
              {s.forgot.submit}
            </button>
          </PostForm>
          <FormScript page={page} />
        </>
      )}
      <p class="links">
        <a href={`${page.base}/login`}>{s.forgot.backToLogin}</a>
      </p>
    </Layout>
  );
}

/**
 * The mailed reset link's page: the token rides along hidden; the new
 * password is checked as at sign-up. The account's address is shown read-only
 * as the form's username, so a password manager files the new password under
 * it (the link's holder owns the mailbox); the route ignores it.
 */
export function ResetPage(props: { page: PageContext; token: string; email: string; problems?: FormProblems }) {
  const { page } = props;
  const s = page.strings;
  const { errors } = fieldErrors(page, props.problems, [["password", s.fields.newPassword]]);
  return (
    <Layout page={page} title={s.reset.title}>
      {props.problems?.message && <Alert kind="error">{props.problems.message}</Alert>}
      <PostForm page={page} action="/password/reset" hidden={{ token: props.token }}>
        <Field
          name="username"
          label={s.fields.email}
          type="email"
          autocomplete="username"
          value={props.email}
          required={false}
          readonly
        />
        <Field
          name="password"
          label={s.fields.newPassword}
          type="password"
          autocomplete="new-password"
          hint={s.passwordHint(PASSWORD_MIN_LENGTH)}
          minlength={PASSWORD_MIN_LENGTH}
          error={errors.password}
          autofocus
        />
        <button type="submit" class="primary">
          {s.reset.submit}
        </button>
      </PostForm>
      <FormScript page={page} />
    </Layout>
  );
}

/** The mailed verification link's page: a button, because mail scanners fetch links (never verify on GET). */
export function VerifyPage(props: { page: PageContext; token: string }) {
  const { page } = props;
  const s = page.strings;
  return (
    <Layout page={page} title={s.verify.title}>
      <p>{s.verify.intro}</p>
      <PostForm page={page} action="/email/verify" hidden={{ token: props.token }}>
        <button type="submit" class="primary">
          {s.verify.submit}
        </button>
      </PostForm>
    </Layout>
  );
}

/** `/login` in a browser that is signed in and has no request: who it is, and a way out. */
export function SignedInPage(props: { page: PageContext; email: string }) {
  const { page } = props;
  const s = page.strings;
  return (
    <Layout page={page} title={s.signedIn.title}>
      <Alert kind="info">
        <Sentence text={s.signedIn.body} value={props.email} />
      </Alert>
      <PostForm page={page} action="/logout">
        <button type="submit" class="secondary">
          {s.signedIn.signOut}
        </button>
      </PostForm>
    </Layout>
  );
}
