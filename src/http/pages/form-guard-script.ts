/**
 * The part of the hosted pages' script every form page loads
 * (/assets/forms.js, and the start of /assets/passkey.js): a form is sent
 * once. A second click or Enter while the first submit is under way would
 * post the same one-time request again, whose answer (the page the browser
 * then shows) could only be that it was already used. Buttons are marked
 * busy, not disabled: a disabled submitter would drop its own name and value
 * (the consent's decision) from the post. A page restored by Back may send again.
 */
export const FORM_GUARD_JS = `"use strict";
(() => {
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.dataset.sent !== undefined) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "";
    for (const button of form.querySelectorAll("button")) button.setAttribute("aria-disabled", "true");
  });
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    for (const form of document.forms) {
      delete form.dataset.sent;
      for (const button of form.querySelectorAll("button")) button.removeAttribute("aria-disabled");
    }
  });
})();
`;
