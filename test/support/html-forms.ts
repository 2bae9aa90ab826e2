/**
 * The forms of an HTML page as a browser would submit them, read with no
 * knowledge of who wrote the page: each form's action and method, its
 * successful inputs (HTML §4.10.21.4: named, not disabled, checkboxes and
 * radios only when checked) and its submit buttons.
 */

interface Submitter {
  name: string;
  value: string;
}

export interface PageForm {
  /** The action attribute as written ("" means the page's own URL). */
  action: string;
  method: string;
  /** Every named input (hidden ones included) with its value; submit buttons are in `submitters`. */
  fields: Record<string, string>;
  /** The form's submit buttons in document order; pressing Enter submits with the first. */
  submitters: Submitter[];
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] !== "#") return NAMED[body.toLowerCase()] ?? entity;
    const code = body[1] === "x" || body[1] === "X" ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1));
    return String.fromCodePoint(code);
  });
}

/** A tag's attributes: double-, single- or unquoted values, bare names as "" (boolean attributes). */
function attributesOf(tag: string): Map<string, string> {
  const attributes = new Map<string, string>();
  const pattern = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (const [, name = "", double, single, bare] of tag.matchAll(pattern)) {
    const key = name.toLowerCase();
    if (!attributes.has(key)) attributes.set(key, decodeEntities(double ?? single ?? bare ?? ""));
  }
  return attributes;
}

const SUBMIT_TYPES = new Set(["submit", "image"]);
const NEVER_SENT = new Set(["button", "reset", "file"]);

export function formsOf(html: string): PageForm[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form\s*>/gi)].map(([, formTag = "", body = ""]) => {
    const form = attributesOf(formTag);
    const fields: Record<string, string> = {};
    const submitters: Submitter[] = [];
    for (const [, element = "", tag = ""] of body.matchAll(/<(input|button)\b([^>]*)>/gi)) {
      const attributes = attributesOf(tag);
      const name = attributes.get("name") ?? "";
      const type = (attributes.get("type") ?? (element.toLowerCase() === "button" ? "submit" : "text")).toLowerCase();
      if (attributes.has("disabled")) continue;
      if (SUBMIT_TYPES.has(type)) {
        submitters.push({ name, value: attributes.get("value") ?? "" });
        continue;
      }
      if (!name || NEVER_SENT.has(type)) continue;
      if ((type === "checkbox" || type === "radio") && !attributes.has("checked")) continue;
      fields[name] = attributes.get("value") ?? (type === "checkbox" || type === "radio" ? "on" : "");
    }
    return {
      action: form.get("action") ?? "",
      method: (form.get("method") ?? "get").toLowerCase(),
      fields,
      submitters,
    };
  });
}
