import { FormAlert, Layout, PostForm } from "./layout.js";
import type { PageContext } from "./page.js";
import { RecoveryCodeList, TotpSetupSteps } from "./security-pages.js";

/** The login's first factor: posted with the request and the challenge's opaque reference, never the `mfa_token`. */
export const ENROLL_PATH = "/login/mfa/enroll";

/**
 * A login the tenant's policy holds until the user has a second factor: the
 * authenticator app's QR code and key, and its first code. After a wrong
 * code only the form, and a link to start over with a new key.
 */
export function MfaEnrollPage(props: {
  page: PageContext;
  requestId: string | null;
  challenge: string;
  setup?: { secret: string; qrSvg: string };
  problem?: string;
  /** A wrong code: the code field's error. */
  codeProblem?: string;
}) {
  const { page } = props;
  const failed = Boolean(props.problem || props.codeProblem);
  const hidden = { request: props.requestId, challenge: props.challenge };
  const again = new URLSearchParams({
    ...(props.requestId ? { request: props.requestId } : {}),
    challenge: props.challenge,
  });
  return (
    <Layout page={page} title={page.strings.mfa.enrollTitle}>
      <FormAlert page={page} problem={props.problem} fieldProblem={props.codeProblem} />
      <p>{page.strings.mfa.enrollIntro}</p>
      <TotpSetupSteps
        page={page}
        setup={props.setup}
        action={ENROLL_PATH}
        hidden={hidden}
        codeProblem={props.codeProblem}
      />
      {failed && (
        <p class="links">
          <a href={`${page.base}${ENROLL_PATH}?${again}`}>{page.strings.security.startOver}</a>
        </p>
      )}
    </Layout>
  );
}

/** The enrolled factor's recovery codes, shown this once; Continue takes the login on to the application. */
export function MfaEnrolledPage(props: { page: PageContext; requestId: string | null; codes: string[] }) {
  const { page } = props;
  return (
    <Layout page={page} title={page.strings.security.codesTitle}>
      <RecoveryCodeList page={page} codes={props.codes} intro={page.strings.security.codesIntro} />
      <PostForm page={page} action={`${ENROLL_PATH}/continue`} hidden={{ request: props.requestId }}>
        <button type="submit" class="primary">
          {page.strings.mfa.continue}
        </button>
      </PostForm>
    </Layout>
  );
}
