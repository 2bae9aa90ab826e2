import type { FactorKind } from "../../core/mfa/factors.js";
import { PASSKEY_JS_ASSET } from "./assets.js";
import { Field, FormAlert, FormScript, Layout, PostForm } from "./layout.js";
import type { PageContext } from "./page.js";

export type CodeKind = "totp" | "recovery_code";

/**
 * The login's second step: one code field (a TOTP code by default, a
 * recovery code after the switch link or when the user has no authenticator
 * app), the pending request and the challenge's opaque reference as hidden
 * inputs; never the `mfa_token`. A user with a passkey also gets "Use a
 * passkey", whose form the script shows only when the browser has WebAuthn.
 * A wrong code is the code field's error (aria-invalid, described by it),
 * under the form's alert, as on the other forms; `problem` is for the whole
 * page (a wait, a passkey).
 */
export function MfaPage(props: {
  page: PageContext;
  requestId: string | null;
  challenge: string;
  factors: FactorKind[];
  kind: CodeKind;
  problem?: string;
  codeProblem?: string;
}) {
  const { page, kind } = props;
  const s = page.strings.mfa;
  const switchTo = new URLSearchParams({
    ...(props.requestId ? { request: props.requestId } : {}),
    challenge: props.challenge,
    ...(kind === "totp" ? { kind: "recovery_code" } : {}),
  });
  const passkey = props.factors.includes("passkey");
  return (
    <Layout page={page} title={s.title}>
      <FormAlert page={page} problem={props.problem} fieldProblem={props.codeProblem} />
      {passkey && (
        <>
          <PostForm
            page={page}
            action="/login/mfa/passkey"
            hidden={{ request: props.requestId, challenge: props.challenge, challenge_id: "", credential: "" }}
            scriptOnly
          >
            <p>{s.passkeyIntro}</p>
            <button
              type="button"
              id="passkey-mfa"
              class="secondary"
              hidden
              data-ceremony="get"
              data-with-form
              data-options={`${page.base}/login/mfa/passkey/options`}
            >
              {s.passkey}
            </button>
            <p class="field-error" aria-live="polite" data-failed={s.passkeyFailed} />
          </PostForm>
          <script src={PASSKEY_JS_ASSET.href} nonce={page.nonce} defer />
        </>
      )}
      {!passkey && <FormScript page={page} />}
      <p>{kind === "totp" ? s.intro : s.recoveryIntro}</p>
      <PostForm
        page={page}
        action="/login/mfa"
        hidden={{ request: props.requestId, challenge: props.challenge, type: kind }}
      >
        {kind === "totp" ? (
          <Field
            name="code"
            label={s.code}
            type="text"
            inputmode="numeric"
            autocomplete="one-time-code"
            hint={s.codeHint}
            maxlength={64}
            error={props.codeProblem}
            autofocus
          />
        ) : (
          <Field
            name="code"
            label={s.recoveryCode}
            type="text"
            autocomplete="off"
            hint={s.recoveryHint}
            maxlength={64}
            error={props.codeProblem}
            autofocus
          />
        )}
        <button type="submit" class="primary">
          {s.submit}
        </button>
      </PostForm>
      {props.factors.includes("totp") && (
        <div class="links">
          <p>
            <a href={`${page.base}/login/mfa?${switchTo}`}>{kind === "totp" ? s.useRecovery : s.useAuthenticator}</a>
          </p>
        </div>
      )}
    </Layout>
  );
}
