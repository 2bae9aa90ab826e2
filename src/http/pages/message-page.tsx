import type { AppError } from "../../core/errors.js";
import type { PageCatalogue } from "./catalogue.js";
import { Alert, Layout } from "./layout.js";
import type { PageContext } from "./page.js";

/** A page that only says something (done, signed out, an error), with an optional link onwards. */
export function MessagePage(props: {
  page: PageContext;
  title: string;
  kind: "error" | "info";
  message: string;
  advice?: string;
  link?: { href: string; text: string };
}) {
  return (
    <Layout page={props.page} title={props.title}>
      <Alert kind={props.kind}>{props.message}</Alert>
      {props.advice && <p class="muted">{props.advice}</p>}
      {props.link && (
        <p class="links">
          <a href={props.link.href}>{props.link.text}</a>
        </p>
      )}
    </Layout>
  );
}

const retryAfter = (error: AppError) => Number(error.headers["Retry-After"] ?? 60);

/** What a user is told of a failure, in the page's language: never the technical detail. */
export function errorMessage(strings: PageCatalogue, error: AppError): string {
  const e = strings.errors;
  switch (error.code) {
    case "rate_limited":
      return e.rateLimited(retryAfter(error));
    case "account_locked":
      return e.locked(retryAfter(error));
    case "csrf_failed":
      return e.csrf;
    case "not_found":
    case "tenant_not_found":
      return e.notFound;
    case "invalid_token":
      return e.invalidLink;
    case "expired_request":
    case "invalid_state":
      return e.expiredRequest;
    case "invalid_client":
      return e.unknownClient;
    case "invalid_redirect_uri":
      return e.invalidRedirect;
    case "invalid_post_logout_redirect_uri":
      return e.invalidLogoutRedirect;
    case "account_disabled":
      return e.accountDisabled;
    case "email_taken":
      return e.emailTaken;
    case "unsupported_media_type":
      return e.unsupportedForm;
    case "validation_failed":
    case "malformed_body":
    case "payload_too_large":
      return e.invalidForm;
    default:
      return error.status >= 500 ? e.unavailable : e.generic;
  }
}

/** The application a failure's page links back to (`return_to`: the origin of the client's redirect URI), if known. */
const returnTo = (error: AppError) => (typeof error.extra.return_to === "string" ? error.extra.return_to : null);

/**
 * The error page of a failure at a hosted page; a sign-in this browser has
 * already finished is not one, and is said so.
 */
export function ErrorPage(props: { page: PageContext; error: AppError }) {
  const { strings } = props.page;
  const back = returnTo(props.error);
  const link = back ? { href: back, text: strings.errors.returnToApp } : undefined;
  if (props.error.code === "request_completed") {
    return (
      <MessagePage
        page={props.page}
        title={strings.errors.completedTitle}
        kind="info"
        message={strings.errors.completed}
        advice={strings.errors.completedAdvice}
        link={link}
      />
    );
  }
  return (
    <MessagePage
      page={props.page}
      title={strings.errors.title}
      kind="error"
      message={errorMessage(strings, props.error)}
      advice={props.error.code === "csrf_failed" ? undefined : strings.errors.advice}
      link={link}
    />
  );
}

/**
 * A mailed link that cannot be used (unknown, spent, expired), shown as soon
 * as it is opened; a reset link's page leads to asking for a new one.
 */
export function DeadLinkPage(props: { page: PageContext; link: "reset" | "verify" }) {
  const { page } = props;
  const s = page.strings;
  const reset = props.link === "reset";
  return (
    <MessagePage
      page={page}
      title={s.errors.deadLink}
      kind="error"
      message={s.errors.invalidLink}
      advice={reset ? s.reset.deadAdvice : s.verify.deadAdvice}
      link={reset ? { href: `${page.base}/password/forgot`, text: s.reset.askAgain } : undefined}
    />
  );
}
