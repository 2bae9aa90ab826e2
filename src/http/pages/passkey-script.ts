/**
 * The hosted login page's one script, served by the app at /assets/passkey.js
 * (no third-party code). Progressive enhancement: the "Sign in with a
 * passkey" button stays hidden unless the browser has WebAuthn. A click asks
 * the JSON route for request options, has the browser sign them with a
 * discoverable credential, and posts the assertion (WebAuthn §5.1.8 JSON,
 * base64url by hand: no library) with the page's form, so the server answers
 * with the same redirect as the password form.
 */
export const PASSKEY_JS = `"use strict";
(() => {
  const button = document.getElementById("passkey-login");
  const status = document.getElementById("passkey-status");
  if (!button || !status || !button.form || !window.PublicKeyCredential || !navigator.credentials) return;
  const form = button.form;
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
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "";
    try {
      const answer = await fetch(button.dataset.options, { method: "POST", credentials: "same-origin" });
      if (!answer.ok) throw new Error("options: " + answer.status);
      const started = await answer.json();
      const options = started.options;
      const publicKey = Object.assign({}, options, {
        challenge: toBuffer(options.challenge),
        allowCredentials: (options.allowCredentials || []).map((c) => Object.assign({}, c, { id: toBuffer(c.id) })),
      });
      const credential = await navigator.credentials.get({ publicKey });
      const response = credential.response;
      form.elements.challenge_id.value = started.challenge_id;
      form.elements.credential.value = JSON.stringify({
        id: credential.id,
        rawId: toText(credential.rawId),
        type: credential.type,
        clientExtensionResults: credential.getClientExtensionResults(),
        authenticatorAttachment: credential.authenticatorAttachment || undefined,
        response: {
          clientDataJSON: toText(response.clientDataJSON),
          authenticatorData: toText(response.authenticatorData),
          signature: toText(response.signature),
          userHandle: response.userHandle ? toText(response.userHandle) : undefined,
        },
      });
      form.submit();
    } catch (error) {
      status.textContent = status.dataset.failed;
      button.disabled = false;
    }
  });
})();
`;
