import type { Child } from "hono/jsx";
import { FORMS_JS_ASSET, HOSTED_CSS_ASSET } from "./assets.js";
import { Isolated, isolatedText } from "./isolated.js";
import type { PageContext } from "./page.js";
import { themeCss } from "./theme.js";

/**
 * The frame of every hosted page: the tenant's name or logo, one heading,
 * the content. Every form works without JavaScript (forms.js only keeps a
 * form from being sent twice; passkey.js adds the passkey buttons and their forms).
 */
export function Layout(props: { page: PageContext; title: string; heading?: Child; children?: Child }) {
  const { page } = props;
  return (
    <html lang={page.strings.language}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${props.title} · ${isolatedText(page.tenantName)}`}</title>
        <link rel="stylesheet" href={HOSTED_CSS_ASSET.href} />
        <style nonce={page.nonce} dangerouslySetInnerHTML={{ __html: themeCss(page.theme) }} />
      </head>
      <body>
        <main>
          <header class="brand">
            {page.logoUrl ? (
              <img src={page.logoUrl} alt={page.tenantName} height="40" />
            ) : (
              <p>
                <Isolated text={page.tenantName} />
              </p>
            )}
          </header>
          <h1>{props.heading ?? props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A message box; errors are announced to screen readers as they appear. */
export function Alert(props: { kind: "error" | "info"; children?: Child }) {
  return (
    <div class={`alert ${props.kind}`} role={props.kind === "error" ? "alert" : "status"}>
      {props.children}
    </div>
  );
}

/**
 * A form's alert: the page's own problem, or, when a field has one (shown on
 * the field), that some fields need attention, as the forms with several fields say.
 */
export function FormAlert(props: {
  page: PageContext;
  problem?: string | undefined;
  fieldProblem?: string | undefined;
}) {
  const message = props.problem ?? (props.fieldProblem ? props.page.strings.errors.invalidForm : undefined);
  return message ? <Alert kind="error">{message}</Alert> : null;
}

/** A labelled input with its hint and error tied to it (aria-describedby), in tab order. */
export function Field(props: {
  name: string;
  label: string;
  type: "email" | "password" | "text";
  autocomplete: string;
  /** The on-screen keyboard to offer (`numeric` for one-time codes). */
  inputmode?: "numeric" | "text";
  value?: string;
  required?: boolean;
  hint?: string;
  error?: string;
  autofocus?: boolean;
  /** Shown and sent, not editable (the account a reset link is for, for password managers). */
  readonly?: boolean;
  maxlength?: number;
  minlength?: number;
}) {
  const id = `field-${props.name}`;
  const described = [props.hint ? `${id}-hint` : "", props.error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type}
        autocomplete={props.autocomplete}
        inputmode={props.inputmode}
        value={props.value}
        required={props.required ?? true}
        autofocus={props.autofocus}
        readonly={props.readonly}
        maxlength={props.maxlength}
        minlength={props.minlength}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={described || undefined}
      />
      {props.hint && (
        <span class="hint" id={`${id}-hint`}>
          {props.hint}
        </span>
      )}
      {props.error && (
        <span class="field-error" id={`${id}-error`}>
          {props.error}
        </span>
      )}
    </div>
  );
}

/**
 * A POST form to this tenant's page, with the CSRF token and any hidden
 * values; `scriptOnly` hides it until the passkey script shows it.
 */
export function PostForm(props: {
  page: PageContext;
  action: string;
  hidden?: Record<string, string | null>;
  scriptOnly?: boolean;
  children?: Child;
}) {
  return (
    <form method="post" action={`${props.page.base}${props.action}`} hidden={props.scriptOnly}>
      <input type="hidden" name="csrf" value={props.page.csrf} />
      {Object.entries(props.hidden ?? {}).map(([name, value]) =>
        value === null ? null : <input type="hidden" name={name} value={value} />,
      )}
      {props.children}
    </form>
  );
}

/** A catalogue text whose `{name}` placeholders become the links of that name (so a language orders them itself). */
export function Linked(props: { text: string; links: Record<string, { href: string; text: string }> }) {
  return (
    <>
      {props.text.split(/\{(\w+)\}/).map((part, i) => {
        const link = i % 2 === 1 ? props.links[part] : undefined;
        return link ? <a href={link.href}>{link.text}</a> : part;
      })}
    </>
  );
}

/** The form guard (forms.js) of a page with a one-time form; its response must allow it (sendPage's `script: "forms"`). */
export function FormScript(props: { page: PageContext }) {
  return <script src={FORMS_JS_ASSET.href} nonce={props.page.nonce} defer />;
}
