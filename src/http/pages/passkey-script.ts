import { FORM_GUARD_JS } from "./form-guard-script.js";

/**
 * The passkey pages' script, served by the app at /assets/passkey.js (no
 * third-party code), after the form guard every form page has. Progressive enhancement: each passkey button (and its
 * form, when that is hidden too) stays hidden unless the browser has
 * WebAuthn. A click asks `data-options` for `{ options, challenge_id? }`
 * (posting the form's fields, CSRF token and challenge reference, when the
 * button has `data-with-form`), has the browser sign (`data-ceremony="get"`)
 * or create (`"create"`) a credential, and posts it (WebAuthn §5.1.8 JSON,
 * base64url by hand: no library) with the button's form, so the server
 * answers as to any form. A failure in the browser shows the form's
 * `data-failed` text.
 */
export const PASSKEY_JS = `${FORM_GUARD_JS}(() => {
  if (!window.PublicKeyCredential || !navigator.credentials) return;
  const toBuffer = (text) => {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(b64 + "===".slice((b64.length + 3) % 4));
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0)).buffer;
  };
  const toText = (buffer) => {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  };
  const withIds = (list) => (list || []).map((c) => Object.assign({}, c, { id: toBuffer(c.id) }));
  const credentialOf = (credential, response) => ({
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    response,
  });
  const ceremonies = {
    async get(options, form, started) {
      const publicKey = Object.assign({}, options, {
        challenge: toBuffer(options.challenge),
        allowCredentials: withIds(options.allowCredentials),
      });
      const credential = await navigator.credentials.get({ publicKey });
      const response = credential.response;
      form.elements.challenge_id.value = started.challenge_id;
      return credentialOf(credential, {
        clientDataJSON: toText(response.clientDataJSON),
        authenticatorData: toText(response.authenticatorData),
        signature: toText(response.signature),
        userHandle: response.userHandle ? toText(response.userHandle) : undefined,
      });
    },
    async create(options) {
      const publicKey = Object.assign({}, options, {
        challenge: toBuffer(options.challenge),
        user: Object.assign({}, options.user, { id: toBuffer(options.user.id) }),
        excludeCredentials: withIds(options.excludeCredentials),
      });
      const credential = await navigator.credentials.create({ publicKey });
      const response = credential.response;
      return credentialOf(credential, {
        clientDataJSON: toText(response.clientDataJSON),
        attestationObject: toText(response.attestationObject),
        transports: response.getTransports ? response.getTransports() : [],
      });
    },
  };
  for (const button of document.querySelectorAll("button[data-ceremony]")) {
    const form = button.form;
    const status = form && form.querySelector("[data-failed]");
    const ceremony = ceremonies[button.dataset.ceremony];
    if (!form || !status || !ceremony) continue;
    button.hidden = false;
    form.hidden = false;
    button.addEventListener("click", async () => {
      if (!form.reportValidity()) return;
      button.disabled = true;
      status.textContent = "";
      try {
        const request = { method: "POST", credentials: "same-origin" };
        if (button.dataset.withForm !== undefined) request.body = new URLSearchParams(new FormData(form));
        const answer = await fetch(button.dataset.options, request);
        if (!answer.ok) throw new Error("options: " + answer.status);
        const started = await answer.json();
        const credential = await ceremony(started.options, form, started);
        form.elements.credential.value = JSON.stringify(credential);
        form.submit();
      } catch (error) {
        status.textContent = status.dataset.failed;
        button.disabled = false;
      }
    });
  }
})();
`;
