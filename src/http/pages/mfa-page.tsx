import { Alert, Field, Layout, PostForm } from "./layout.js";
import type { PageContext } from "./page.js";

export type CodeKind = "totp" | "recovery_code";

/**
 * The login's second step: one code field (a TOTP code by default, a
 * recovery code after the switch link), the pending request and the
 * challenge's opaque reference as hidden inputs; never the `mfa_token`.
 */
export function MfaPage(props: {
  page: PageContext;
  requestId: string | null;
  challenge: string;
  kind: CodeKind;
  problem?: string;
}) {
  const { page, kind } = props;
  const s = page.strings.mfa;
  const switchTo = new URLSearchParams({
    ...(props.requestId ? { request: props.requestId } : {}),
    challenge: props.challenge,
    ...(kind === "totp" ? { kind: "recovery_code" } : {}),
  });
  return (
    <Layout page={page} title={s.title}>
      {props.problem && <Alert kind="error">{props.problem}</Alert>}
      <p>{s.intro}</p>
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
            autofocus
          />
        )}
        <button type="submit" class="primary">
          {s.submit}
        </button>
      </PostForm>
      <div class="links">
        <p>
          <a href={`${page.base}/login/mfa?${switchTo}`}>{kind === "totp" ? s.useRecovery : s.useAuthenticator}</a>
        </p>
      </div>
    </Layout>
  );
}
