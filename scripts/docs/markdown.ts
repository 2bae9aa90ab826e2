/**
 * The little Markdown the docs tooling needs: GitHub's heading anchors (for
 * the generated HTTP reference's own links and for the link check), the
 * links and URLs of a document's prose (code blocks and code spans are
 * examples, not links), and the fenced code blocks with the headings they
 * are under (the README quickstart's test runs them).
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

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

type Segment =
  | { kind: "prose"; text: string; line: number }
  | { kind: "code"; info: string; code: string; line: number };

/** The document as prose lines and fenced code blocks, in order, each with its 1-based line. */
function segmentsOf(markdown: string): Segment[] {
  const out: Segment[] = [];
  let open: { fence: string; info: string; lines: string[]; line: number } | undefined;
  markdown.split("\n").forEach((text, i) => {
    const [, fence, info = ""] = FENCE.exec(text) ?? [];
    if (open) {
      if (fence && fence[0] === open.fence[0] && fence.length >= open.fence.length && text.trim() === fence) {
        out.push({ kind: "code", info: open.info, code: open.lines.join("\n"), line: open.line });
        open = undefined;
      } else open.lines.push(text);
      return;
    }
    if (fence) open = { fence, info: info.trim(), lines: [], line: i + 1 };
    else out.push({ kind: "prose", text, line: i + 1 });
  });
  return out;
}

/** The lines outside fenced code blocks, each with its 1-based number. */
function proseLines(markdown: string): { text: string; line: number }[] {
  return segmentsOf(markdown).flatMap((segment) => (segment.kind === "prose" ? [segment] : []));
}

export interface CodeBlock {
  /** The info string's first word (`sh`, `json`), "" when the fence has none. */
  lang: string;
  /** The block's text, ending without a newline. */
  code: string;
  /** The visible text of the headings it is under, outermost first: `["Authority", "Quickstart", "2. Sign up"]`. */
  headings: string[];
  line: number;
}

/** Every fenced code block, in document order, with the headings it is under. */
export function codeBlocksOf(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const open: string[] = [];
  for (const segment of segmentsOf(markdown)) {
    if (segment.kind === "code") {
      const lang = segment.info.split(/\s+/)[0] ?? "";
      blocks.push({ lang, code: segment.code, headings: open.filter(Boolean), line: segment.line });
      continue;
    }
    const heading = /^ {0,3}(#{1,6})\s+(.*)$/.exec(segment.text);
    if (!heading) continue;
    const level = (heading[1] as string).length;
    open.length = level - 1;
    open[level - 1] = headingText(heading[2] as string);
  }
  return blocks;
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
