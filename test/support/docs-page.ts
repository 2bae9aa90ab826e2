/** What the /docs page references, for the tests that check it loads only from its own origin. */

/** Every URL in a src= or href= attribute of the page. */
export function referencedUrls(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/gi)].map((m) => m[1] as string);
}

/** The page's own files: absolute paths on this origin (not data:, not protocol-relative). */
export function sameOriginPaths(html: string): string[] {
  return referencedUrls(html).filter((url) => url.startsWith("/") && !url.startsWith("//"));
}

/** The Content-Type each of the page's asset extensions must be served with. */
export const ASSET_TYPES: Record<string, RegExp> = {
  js: /^text\/javascript; charset=utf-8$/,
  css: /^text\/css; charset=utf-8$/,
};

export const extensionOf = (path: string) => path.slice(path.lastIndexOf(".") + 1);
