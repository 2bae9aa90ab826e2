/**
 * Names and addresses the pages show (tenant, client, provider, user, email,
 * passkey) were written by users, admins or upstreams, and may hold
 * direction controls: stored before they were refused, or where they are
 * allowed. Each is shown isolated from the sentence around it (HTML's
 * `<bdi>`, UAX #9 §2.7), so an override inside cannot reorder the page.
 */

import { LINE_BREAKING } from "../../core/text-rules.js";

/** LRI, RLI and FSI (U+2066–U+2068) open an isolate; PDI (U+2069) closes the last one open. */
const ISOLATE_INITIATOR = /[\u2066-\u2068]/;
const PDI = "\u2069";
/** What ends an isolate early: a PDI (UAX #9 X6a), a paragraph separator or control (P1), a line separator. */
const BREAKING = new RegExp(`[\\u2066-\\u2069${LINE_BREAKING}]`, "g");

/**
 * The text with what would break out of its isolate made harmless: controls
 * and separators become spaces, a PDI that closes nothing the text opened
 * is dropped, and isolates the text leaves open are closed at its end.
 * Browsers end `<bdi>` with a PDI of their own: a stray PDI would close the
 * `<bdi>` early, and an unclosed LRI would take the browser's PDI.
 */
function isolable(text: string): string {
  let open = 0;
  const balanced = text.replace(BREAKING, (ch) => {
    if (ISOLATE_INITIATOR.test(ch)) {
      open += 1;
      return ch;
    }
    if (ch !== PDI) return " ";
    if (open === 0) return "";
    open -= 1;
    return ch;
  });
  return balanced + PDI.repeat(open);
}

/** Where no element can isolate (the `<title>`, a problem message): FSI … PDI, as `<bdi>` would. */
export const isolatedText = (text: string) => `\u2068${isolable(text)}${PDI}`;

/** A value on its own or in a sentence, isolated. */
export function Isolated(props: { text: string }) {
  return <bdi>{isolable(props.text)}</bdi>;
}

/** Marks the value's place in a catalogue sentence; no catalogue text holds a NUL. */
const SLOT = "\u0000";

/**
 * A catalogue sentence around one value (`heading(client)`): the words as
 * the language orders them, the value isolated wherever it falls.
 */
export function Sentence(props: { text: (value: string) => string; value: string }) {
  const parts = props.text(SLOT).split(SLOT);
  return <>{parts.map((part, i) => (i === 0 ? part : [<Isolated text={props.value} />, part]))}</>;
}
