/**
 * The documentation stands alone in a clone: every relative link in the
 * repository's Markdown resolves to a file inside it (and a `#anchor` to a
 * heading of that file, by GitHub's anchor rules), and the only links out
 * are https URLs of public sites on the allowlist below. Nothing is fetched.
 * Code blocks and code spans are examples, not links: `localhost` is fine there.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { anchorsOf, codeBlocksOf, headingSlugger, referencesOf } from "../../scripts/docs/markdown.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Not the repository's documentation: dependencies, build output, local state. */
const SKIPPED = new Set(["node_modules", "dist", "data", ".git", ".wrangler", "coverage", "test-artifacts"]);

/** Public sites the docs may link to; add a host here when a page needs one (the test never fetches it). */
const PUBLIC_HOSTS = new Set([
  "datatracker.ietf.org",
  "www.rfc-editor.org",
  "openid.net",
  "developers.cloudflare.com",
  "kubernetes.io",
  "www.apache.org",
  "github.com",
]);

function markdownFiles(dir = ROOT): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIPPED.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

const anchorCache = new Map<string, Set<string>>();
function anchorsOfFile(path: string): Set<string> {
  let anchors = anchorCache.get(path);
  if (!anchors) {
    anchors = anchorsOf(readFileSync(path, "utf8"));
    anchorCache.set(path, anchors);
  }
  return anchors;
}

/** What is wrong with one link of `file`, or undefined when it is fine. */
function problemOf(file: string, target: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target)?.[1]?.toLowerCase();
  if (scheme === "mailto") return undefined;
  if (scheme) {
    if (scheme !== "https") return `${scheme}: URLs are not allowed outside code (https to public sites only)`;
    const host = new URL(target).hostname;
    return PUBLIC_HOSTS.has(host) ? undefined : `${host} is not on the allowlist of public sites`;
  }
  if (target.startsWith("//")) return "protocol-relative URLs are not allowed";
  const [pathPart = "", anchor] = target.split("#", 2);
  const path = pathPart === "" ? file : resolve(dirname(file), decodeURIComponent(pathPart));
  const inside = relative(ROOT, path);
  if (inside.startsWith(`..${sep}`) || inside === "..") return "points outside the repository";
  if (!existsSync(path)) return "no such file";
  if (anchor !== undefined) {
    if (!path.endsWith(".md")) return "an anchor into a file that is not Markdown";
    if (!anchorsOfFile(path).has(anchor)) return `no heading with the anchor #${anchor}`;
  }
  return undefined;
}

describe("links in the documentation", () => {
  const files = markdownFiles();

  it("covers the README, docs/ and the SDK's README", () => {
    const names = files.map((f) => relative(ROOT, f).split(sep).join("/"));
    expect(names).toContain("README.md");
    expect(names).toContain("docs/README.md");
    expect(names).toContain("sdk/README.md");
  });

  it("point to files and headings inside the repository, or to public https sites", () => {
    const problems = files.flatMap((file) =>
      referencesOf(readFileSync(file, "utf8")).flatMap(({ target, line }) => {
        const problem = problemOf(file, target);
        return problem ? [`${relative(ROOT, file)}:${line}: ${target}: ${problem}`] : [];
      }),
    );
    expect(problems).toEqual([]);
  });

  it("never name the maintainers' notes outside the repository", () => {
    const mentions = files.filter((file) => /\.\.\/shared\b/.test(readFileSync(file, "utf8")));
    expect(mentions.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it("find headings by GitHub's anchors", () => {
    const slug = headingSlugger();
    expect(slug("`POST /t/{tenant}/v1/signup`")).toBe("post-ttenantv1signup");
    expect(slug("Provider URLs (SSRF)")).toBe("provider-urls-ssrf");
    expect(slug("The user's current state")).toBe("the-users-current-state");
    expect(slug("5. Verify a token with any JWT library")).toBe("5-verify-a-token-with-any-jwt-library");
    expect(slug("Tokens")).toBe("tokens");
    expect(slug("Tokens")).toBe("tokens-1");
    expect(anchorsOf("# A\n```sh\n# not a heading\n```\n## B `c`")).toEqual(new Set(["a", "b-c"]));
  });

  it("see links and bare URLs in prose, not in code", () => {
    const text = [
      "See [the guide](docs/x.md#a) and <https://example.com/a>, or http://localhost:8787.",
      "`http://localhost:1` in a code span",
      "```sh",
      "curl http://localhost:8787/healthz",
      "```",
      "[ref]: https://example.org/b",
    ].join("\n");
    expect(referencesOf(text).map((r) => r.target)).toEqual([
      "docs/x.md#a",
      "https://example.com/a",
      "http://localhost:8787",
      "https://example.org/b",
    ]);
  });

  it("find code blocks with their language and the headings they are under", () => {
    const text = [
      "# Title",
      "## Quickstart",
      "### 1. Start",
      "```sh",
      "npm start",
      "```",
      "### 2. Sign up",
      "~~~json",
      "```",
      "{}",
      "~~~",
      "## Next",
      "```",
      "# not a heading",
      "```",
    ].join("\n");
    expect(codeBlocksOf(text)).toEqual([
      { lang: "sh", code: "npm start", headings: ["Title", "Quickstart", "1. Start"], line: 4 },
      { lang: "json", code: "```\n{}", headings: ["Title", "Quickstart", "2. Sign up"], line: 8 },
      { lang: "", code: "# not a heading", headings: ["Title", "Next"], line: 13 },
    ]);
  });
});
