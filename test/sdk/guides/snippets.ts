/**
 * The framework guides' code, as a reader copies it: every ```ts block of
 * sdk/docs/<guide>.md, written to the file its first line names
 * (`// server.ts`) in a consumer folder whose node_modules is this
 * repository's (so `@authority/sdk` is the built SDK, and the frameworks are
 * the root devDependencies), then compiled by tsc with the settings such a
 * project would have.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const GUIDES_DIR = join(ROOT, "sdk/docs");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

interface Snippet {
  /** The file the block's first line names, relative to the guide's project. */
  path: string;
  code: string;
}

/** Every ```ts block of the guide; each must start with `// <file>`. */
export async function snippetsOf(guide: string): Promise<Snippet[]> {
  const markdown = await readFile(join(GUIDES_DIR, `${guide}.md`), "utf8");
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => {
    const code = match[1] as string;
    const path = /^\/\/ ([\w./-]+\.ts)\n/.exec(code)?.[1];
    if (!path) throw new Error(`${guide}.md: a ts block does not start with "// <file>.ts"`);
    return { path, code };
  });
}

/** Compiler settings of the project kinds the guides are for. */
const PROJECTS = {
  // A Node service (tsc --init's module settings for Node, an ES module package).
  node: { module: "nodenext", moduleResolution: "nodenext", types: ["node"] },
  // create-next-app's resolution (Next.js bundles; `next/server` has no exports map).
  next: { module: "esnext", moduleResolution: "bundler", types: ["node"], lib: ["dom", "dom.iterable", "esnext"] },
  // A Workers project (wrangler bundles), with the Workers runtime's types only.
  workers: {
    module: "esnext",
    moduleResolution: "bundler",
    types: ["@cloudflare/workers-types"],
    lib: ["es2022"],
  },
} as const;

/** A consumer folder: package.json ("type": "module") and node_modules -> this repository's. */
export async function consumerFolder(dir: string): Promise<void> {
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "guides", private: true, type: "module" }));
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
}

/**
 * Writes the guides' snippets under `dir/<guide>/` and compiles them (strict) into `dir/out/<guide>/`.
 * Resolves the compiled path of each snippet by guide and file.
 */
export async function compileGuides(
  dir: string,
  project: keyof typeof PROJECTS,
  guides: string[],
): Promise<Record<string, Record<string, string>>> {
  const files: string[] = [];
  const compiled: Record<string, Record<string, string>> = {};
  for (const guide of guides) {
    compiled[guide] = {};
    for (const snippet of await snippetsOf(guide)) {
      const file = join(guide, snippet.path);
      await mkdir(dirname(join(dir, file)), { recursive: true });
      await writeFile(join(dir, file), snippet.code);
      files.push(file);
      (compiled[guide] as Record<string, string>)[snippet.path] = join(dir, "out", file.replace(/\.ts$/, ".js"));
    }
  }
  const compilerOptions = {
    strict: true,
    target: "es2022",
    skipLibCheck: true,
    rootDir: ".",
    outDir: "out",
    ...PROJECTS[project],
  };
  const config = `tsconfig.${project}.json`;
  await writeFile(join(dir, config), JSON.stringify({ compilerOptions, files }));
  await run(process.execPath, [TSC, "-p", config], { cwd: dir, timeout: 120_000 }).catch(
    (error: { stdout?: string; message: string }) => {
      throw new Error(`tsc (${project}) failed on the guides' snippets:\n${error.stdout ?? error.message}`);
    },
  );
  return compiled;
}
