import { en } from "./locales/en.js";

/**
 * Every string of the hosted pages in one language: plain text (the pages
 * escape it), values passed in as arguments. A new language is one file in
 * locales/ and a line in CATALOGUES.
 */
export interface PageCatalogue {
  /** The page's `lang` (BCP 47). */
  language: string;
  fields: { email: string; password: string; newPassword: string; name: string; optional: string };
  /**
   * A field's problem as a sentence under it: `problem` is the API's message
   * (API.md), which names no field ("must be at least 8 characters long"),
   * and `field` the field's name ("Password").
   */
  fieldProblem(field: string, problem: string): string;
  passwordHint(minLength: number): string;
  login: {
    title: string;
    submit: string;
    forgot: string;
    noAccount: string;
    signUp: string;
    /** Above the buttons of the tenant's OAuth providers and SAML connections. */
    orContinueWith: string;
    continueWith(name: string): string;
    wrongCredentials: string;
    /** The upstream's refusal (its own words follow). */
    federatedFailed: string;
    /** After federatedFailed, for an upstream error other than access_denied (whose reason is shown). */
    federatedUnavailable: string;
    /** The button of a passwordless login (shown only when the browser has WebAuthn). */
    passkey: string;
    /** The browser gave no passkey (cancelled, none for this site) or the server refused it. */
    passkeyFailed: string;
  };
  /** The login's second step (a TOTP or recovery code, or a passkey when the user has one). */
  mfa: {
    title: string;
    intro: string;
    /** Instead of `intro` on the recovery code form. */
    recoveryIntro: string;
    /** Shown with the passkey button (only when the browser has WebAuthn). */
    passkeyIntro: string;
    passkey: string;
    /** The browser gave no passkey (cancelled, none here) or the server refused it. */
    passkeyFailed: string;
    code: string;
    codeHint: string;
    recoveryCode: string;
    recoveryHint: string;
    useRecovery: string;
    useAuthenticator: string;
    submit: string;
    wrongCode: string;
    /** The challenge is spent, expired or out of attempts: the password again. */
    startAgain: string;
    /** The tenant's policy wants a second factor the user has not got: set one up to finish signing in. */
    enrollTitle: string;
    enrollIntro: string;
    /** After the recovery codes: on to the application. */
    continue: string;
  };
  /** The signed-in user's security page: their factors, adding an authenticator app, removing a factor. */
  security: {
    title: string;
    signInFirst: string;
    signIn: string;
    signedInAs(email: string): string;
    factorsHeading: string;
    noFactors: string;
    authenticatorApp: string;
    passkey: string;
    addedOn(date: string): string;
    /** A named passkey's line (its name says nothing of its kind). */
    passkeyAddedOn(date: string): string;
    lastUsedOn(date: string): string;
    remove(factor: string): string;
    rename(factor: string): string;
    newName(factor: string): string;
    saveName: string;
    renamed: string;
    /** A passkey's name that is empty, too long or not one line. */
    badName: string;
    recoveryCodesLeft(count: number): string;
    addTotp: string;
    totpPresent: string;
    /** The passkey part (hidden unless the browser has WebAuthn). */
    passkeysHeading: string;
    passkeyIntro: string;
    passkeyName: string;
    passkeyNameHint: string;
    addPasskey: string;
    /** The browser made no passkey (cancelled, already there) or the server refused it. */
    passkeyFailed: string;
    /** The account holds as many passkeys as it may. */
    passkeyLimit: string;
    passkeyAdded: string;
    setupTitle: string;
    scanQr: string;
    qrLabel: string;
    orTypeSecret: string;
    confirmIntro: string;
    confirm: string;
    wrongCode: string;
    startOver: string;
    codesTitle: string;
    codesIntro: string;
    /** Instead of `codesIntro` when the first factor is a passkey. */
    passkeyCodesIntro: string;
    codesSave: string;
    added: string;
    back: string;
    removed: string;
    stepUpTitle: string;
    stepUp(minutes: number): string;
    signOut: string;
  };
  signup: {
    title: string;
    submit: string;
    haveAccount: string;
    signIn: string;
    /** `{signIn}` and `{reset}` in `text` become links to the login and forgotten-password pages. */
    emailTaken: { text: string; signIn: string; reset: string };
  };
  /** Each result page has a title of its own that says what it says (WCAG 2.4.2), not the form's. */
  forgot: { title: string; intro: string; submit: string; sentTitle: string; sent: string; backToLogin: string };
  reset: {
    title: string;
    submit: string;
    doneTitle: string;
    done: string;
    signIn: string;
    /** Under a reset link that is unknown, spent or expired, above the link to ask for a new one. */
    deadAdvice: string;
    askAgain: string;
  };
  verify: {
    title: string;
    intro: string;
    submit: string;
    doneTitle: string;
    done: string;
    /** Under a verification link that is unknown, spent or expired. */
    deadAdvice: string;
  };
  consent: {
    title: string;
    heading(client: string): string;
    intro(client: string): string;
    signedInAs(email: string): string;
    allow: string;
    deny: string;
    /** What each known scope lets the application do; other scopes are shown by name. */
    scopes: Record<string, string>;
  };
  logout: { title: string; question: string; submit: string; doneTitle: string; done: string };
  signedIn: { title: string; body(email: string): string; signOut: string };
  errors: {
    title: string;
    /** Shown under every error: what the user can do. */
    advice: string;
    invalidForm: string;
    csrf: string;
    rateLimited(seconds: number): string;
    locked(seconds: number): string;
    expiredRequest: string;
    /** A second submit (or Back) of a sign-in this browser has finished. */
    completedTitle: string;
    completed: string;
    completedAdvice: string;
    /** The link of an error page to the application the sign-in was for. */
    returnToApp: string;
    invalidLink: string;
    /** The title of the page of a mailed link that cannot be used. */
    deadLink: string;
    /** An email change whose new address another account took after the link was mailed. */
    emailTaken: string;
    /** A form posted as something other than a form (JSON, multipart). */
    unsupportedForm: string;
    accountDisabled: string;
    unknownClient: string;
    invalidRedirect: string;
    invalidLogoutRedirect: string;
    notFound: string;
    unavailable: string;
    generic: string;
  };
}

/** By primary language subtag. */
const CATALOGUES: Record<string, PageCatalogue> = { en };

const primaryOf = (tag: string) => tag.trim().toLowerCase().split(/[-_]/)[0] ?? "";

/** The catalogue for a language tag (`de`, `de-CH`), English when there is none. */
export function pagesIn(language: string): PageCatalogue {
  return pageLanguage([language]) ?? en;
}

/** The first of the preferred tags (`ui_locales`, OIDC Core §3.1.2.1) that has a catalogue, or null. */
export function pageLanguage(preferred: string[]): PageCatalogue | null {
  for (const tag of preferred) {
    const primary = primaryOf(tag);
    if (Object.hasOwn(CATALOGUES, primary)) return CATALOGUES[primary] as PageCatalogue;
  }
  return null;
}
