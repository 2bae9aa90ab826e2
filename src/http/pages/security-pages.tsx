import type { FactorSummary } from "../../core/mfa/factors.js";
import { PASSKEY_JS_ASSET } from "./assets.js";
import { Isolated, Sentence } from "./isolated.js";
import { Alert, Field, FormAlert, Layout, PostForm } from "./layout.js";
import type { PageContext } from "./page.js";

/** The security page's forms post under this path (below the tenant's base). */
export const SECURITY_PATH = "/account/security";

const day = (date: Date) => date.toISOString().slice(0, 10);

/** The base32 key in groups of four, as authenticator apps show and accept it (spaces are ignored there). */
const groupedSecret = (secret: string) => secret.match(/.{1,4}/g)?.join(" ") ?? secret;

/** A passkey's new name: a field in a disclosure, so the list stays short (no script needed). */
function RenameForm(props: { page: PageContext; factor: FactorSummary; label: string }) {
  const { page, factor } = props;
  const s = page.strings.security;
  const id = `rename-${factor.id}`;
  return (
    <details>
      <summary>
        <Sentence text={s.rename} value={props.label} />
      </summary>
      <PostForm page={page} action={`${SECURITY_PATH}/passkeys/rename`} hidden={{ id: factor.id }}>
        <div class="field">
          <label for={id}>
            <Sentence text={s.newName} value={props.label} />
          </label>
          <input
            id={id}
            name="name"
            type="text"
            autocomplete="off"
            value={factor.name ?? ""}
            maxlength={100}
            required
          />
        </div>
        <button type="submit" class="secondary">
          {s.saveName}
        </button>
      </PostForm>
    </details>
  );
}

/** Adding a passkey: shown by the script only when the browser has WebAuthn (the ceremony needs it). */
function AddPasskeyForm(props: { page: PageContext }) {
  const { page } = props;
  const s = page.strings.security;
  return (
    <PostForm page={page} action={`${SECURITY_PATH}/passkeys`} hidden={{ credential: "" }} scriptOnly>
      <h2>{s.passkeysHeading}</h2>
      <p>{s.passkeyIntro}</p>
      <Field
        name="name"
        label={s.passkeyName}
        type="text"
        autocomplete="off"
        hint={s.passkeyNameHint}
        required={false}
        maxlength={100}
      />
      <button
        type="button"
        id="passkey-register"
        class="primary"
        hidden
        data-ceremony="create"
        data-with-form
        data-options={`${page.base}${SECURITY_PATH}/passkeys/options`}
      >
        {s.addPasskey}
      </button>
      <p class="field-error" aria-live="polite" data-failed={s.passkeyFailed} />
    </PostForm>
  );
}

/** The signed-in user's factors, how many recovery codes are left, and the ways to add, rename or remove one. */
export function SecurityPage(props: {
  page: PageContext;
  email: string;
  factors: FactorSummary[];
  recoveryCodesLeft: number;
  notice?: string;
  problem?: string;
}) {
  const { page, factors } = props;
  const s = page.strings.security;
  const kindName = (f: FactorSummary) => f.name ?? (f.kind === "totp" ? s.authenticatorApp : s.passkey);
  return (
    <Layout page={page} title={s.title}>
      {props.notice && <Alert kind="info">{props.notice}</Alert>}
      {props.problem && <Alert kind="error">{props.problem}</Alert>}
      <p class="muted">
        <Sentence text={s.signedInAs} value={props.email} />
      </p>
      <section aria-labelledby="factors-heading">
        <h2 id="factors-heading">{s.factorsHeading}</h2>
        {factors.length === 0 ? (
          <p>{s.noFactors}</p>
        ) : (
          <ul class="factors">
            {factors.map((f) => (
              <li>
                <span>
                  <strong>
                    <Isolated text={kindName(f)} />
                  </strong>{" "}
                  <span class="muted">
                    {f.kind === "passkey" && f.name !== null
                      ? s.passkeyAddedOn(day(f.createdAt))
                      : s.addedOn(day(f.createdAt))}
                    {f.lastUsedAt && `, ${s.lastUsedOn(day(f.lastUsedAt))}`}
                  </span>
                </span>
                {f.kind === "passkey" && <RenameForm page={page} factor={f} label={kindName(f)} />}
                <PostForm page={page} action={`${SECURITY_PATH}/factors/remove`} hidden={{ id: f.id }}>
                  <button type="submit" class="secondary">
                    <Sentence text={s.remove} value={kindName(f)} />
                  </button>
                </PostForm>
              </li>
            ))}
          </ul>
        )}
        {factors.length > 0 && <p>{s.recoveryCodesLeft(props.recoveryCodesLeft)}</p>}
      </section>
      {factors.some((f) => f.kind === "totp") ? (
        <p class="muted">{s.totpPresent}</p>
      ) : (
        <PostForm page={page} action={`${SECURITY_PATH}/totp`}>
          <button type="submit" class="primary">
            {s.addTotp}
          </button>
        </PostForm>
      )}
      <AddPasskeyForm page={page} />
      <script src={PASSKEY_JS_ASSET.href} nonce={page.nonce} defer />
    </Layout>
  );
}

/**
 * Adding an authenticator app: the QR code (inline SVG markup, which the
 * page's CSP allows: it is no script and loads nothing) and the key as text,
 * then the first code confirms at `action`. Without `setup` (after a wrong
 * code: the secret is not shown twice) only the form, `codeProblem` the code
 * field's error.
 */
export function TotpSetupSteps(props: {
  page: PageContext;
  setup?: { secret: string; qrSvg: string } | undefined;
  action: string;
  hidden: Record<string, string | null>;
  codeProblem?: string | undefined;
}) {
  const { page, setup } = props;
  const s = page.strings.security;
  return (
    <>
      {setup && (
        <>
          <p>{s.scanQr}</p>
          <div class="qr" role="img" aria-label={s.qrLabel} dangerouslySetInnerHTML={{ __html: setup.qrSvg }} />
          <p>{s.orTypeSecret}</p>
          <p>
            <code class="secret">{groupedSecret(setup.secret)}</code>
          </p>
        </>
      )}
      <p>{s.confirmIntro}</p>
      <PostForm page={page} action={props.action} hidden={props.hidden}>
        <Field
          name="code"
          label={page.strings.mfa.code}
          type="text"
          inputmode="numeric"
          autocomplete="one-time-code"
          hint={page.strings.mfa.codeHint}
          maxlength={64}
          error={props.codeProblem}
          autofocus={!setup}
        />
        <button type="submit" class="primary">
          {s.confirm}
        </button>
      </PostForm>
    </>
  );
}

/** The account security page's authenticator setup. */
export function TotpSetupPage(props: {
  page: PageContext;
  id: string;
  setup?: { secret: string; qrSvg: string };
  problem?: string;
  /** A wrong code: the code field's error. */
  codeProblem?: string;
}) {
  const { page } = props;
  const s = page.strings.security;
  return (
    <Layout page={page} title={s.setupTitle}>
      <FormAlert page={page} problem={props.problem} fieldProblem={props.codeProblem} />
      <TotpSetupSteps
        page={page}
        setup={props.setup}
        action={`${SECURITY_PATH}/totp/confirm`}
        hidden={{ id: props.id }}
        codeProblem={props.codeProblem}
      />
      <p class="links">
        <a href={`${page.base}${SECURITY_PATH}`}>{props.problem || props.codeProblem ? s.startOver : s.back}</a>
      </p>
    </Layout>
  );
}

/** The first recovery codes, shown this once, after the first factor (`intro` says which), and how to keep them. */
export function RecoveryCodeList(props: { page: PageContext; codes: string[]; intro: string }) {
  const { page } = props;
  const s = page.strings.security;
  return (
    <>
      <Alert kind="info">{props.intro}</Alert>
      <ul class="codes" aria-label={page.strings.mfa.recoveryCode}>
        {props.codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <p>
        <strong>{s.codesSave}</strong>
      </p>
    </>
  );
}

/** The first recovery codes on the account security page. */
export function RecoveryCodesPage(props: { page: PageContext; codes: string[]; intro: string }) {
  const { page } = props;
  const s = page.strings.security;
  return (
    <Layout page={page} title={s.codesTitle}>
      <RecoveryCodeList page={page} codes={props.codes} intro={props.intro} />
      <p class="links">
        <a href={`${page.base}${SECURITY_PATH}`}>{s.back}</a>
      </p>
    </Layout>
  );
}

/** A sensitive change without a recent second factor: why, and the way to sign in again. */
export function StepUpPage(props: { page: PageContext; minutes: number }) {
  const { page } = props;
  const s = page.strings.security;
  return (
    <Layout page={page} title={s.stepUpTitle}>
      <Alert kind="error">{s.stepUp(props.minutes)}</Alert>
      <PostForm page={page} action="/logout">
        <button type="submit" class="secondary">
          {s.signOut}
        </button>
      </PostForm>
      <p class="links">
        <a href={`${page.base}${SECURITY_PATH}`}>{s.back}</a>
      </p>
    </Layout>
  );
}
