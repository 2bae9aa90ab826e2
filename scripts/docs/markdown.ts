/**
 * The little Markdown the docs tooling needs: GitHub's heading anchors (for
 * the generated HTTP reference's own links and for the link check) and the
 * links and URLs of a document's prose (code blocks and code spans are
 * examples, not links).
 */

/** A heading's visible text: inline code, links and emphasis reduced to what GitHub renders. */
function headingText(raw: string): string {
  return raw
    .replace(/\s+#+\s*$/, "")
    .split(/(`+[^`]*`+)/)
    .map((part, i) =>
      i % 2 === 1
        ? part.replace(/^`+|`+$/g, "")
        : part
            .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
            .replace(/<[^>]+>/g, "")
            .replace(/\*+/g, ""),
    )
    .join("")
    .trim();
}

/**
 * GitHub's anchors (github-slugger): lower case, every character that is not
 * a letter, mark, number, `_`, `-` or space dropped, spaces to hyphens; a
 * repeated anchor gets `-1`, `-2`, ... in document order.
 */
export function headingSlugger(): (heading: string) => string {
  const seen = new Map<string, number>();
  return (heading) => {
    const base = headingText(heading)
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base}-${count}`;
  };
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** The lines outside fenced code blocks, each with its 1-based number. */
function proseLines(markdown: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((text, i) => {
    const opening = FENCE.exec(text)?.[1];
    if (fence) {
      if (opening && opening[0] === fence[0] && opening.length >= fence.length && text.trim() === opening) {
        fence = undefined;
      }
      return;
    }
    if (opening) {
      fence = opening;
      return;
    }
    out.push({ text, line: i + 1 });
  });
  return out;
}

/** The text of every ATX heading, in order (a `#` line inside a code block is not a heading). */
export function headingsOf(markdown: string): string[] {
  return proseLines(markdown).flatMap(({ text }) => {
    const heading = /^ {0,3}#{1,6}\s+(.*)$/.exec(text)?.[1];
    return heading === undefined ? [] : [heading];
  });
}

/** Every heading's anchor, as GitHub makes them. */
export function anchorsOf(markdown: string): Set<string> {
  const slug = headingSlugger();
  return new Set(headingsOf(markdown).map(slug));
}

export interface Reference {
  /** What the link points to, or the URL as written in the prose. */
  target: string;
  line: number;
}

/**
 * Link targets (inline links and images, reference definitions, autolinks)
 * and bare URLs (GitHub links them too) of the prose; code spans and fenced
 * blocks are left out.
 */
export function referencesOf(markdown: string): Reference[] {
  const found: Reference[] = [];
  for (const { text, line } of proseLines(markdown)) {
    const prose = text.replace(/(`+)[^`]*?\1/g, "");
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(prose);
    if (definition?.[1]) found.push({ target: definition[1], line });
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g))
      found.push({ target: m[1] ?? "", line });
    const withoutLinks = prose.replace(/\]\([^)]*\)/g, "]").replace(/^ {0,3}\[[^\]]+\]:.*$/, "");
    for (const m of withoutLinks.matchAll(/<?\b([a-z][a-z0-9+.-]*:\/\/[^\s<>()]+)/gi)) {
      found.push({ target: (m[1] ?? "").replace(/[.,;:!?'"*_]+$/, ""), line });
    }
  }
  return found;
}
