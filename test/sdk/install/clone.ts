/**
 * The SDK as a user gets it: a clone's sdk/ folder (its sources, no dist,
 * no node_modules) in a temp folder, with or without the repository's own
 * install beside it, and the commands of sdk/README.md's "Install" section,
 * taken from the Markdown with the clone's path put in for /path/to/authority.
 * Never builds in this checkout's sdk/ (other suites import its dist).
 */
import { execFile } from "node:child_process";
import { cp, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SDK = join(ROOT, "sdk");

/** What a clone has of sdk/: everything but build output and installed packages. */
export async function cloneSdk(clone: string, options: { rootInstalled: boolean }): Promise<string> {
  await mkdir(clone, { recursive: true });
  await cp(SDK, join(clone, "sdk"), {
    recursive: true,
    filter: (source) => !/\/sdk\/(dist|node_modules)(\/|$)|\.tgz$/.test(source),
  });
  // The repository's `npm ci` having run in the clone: its node_modules, as this checkout's.
  if (options.rootInstalled) await symlink(join(ROOT, "node_modules"), join(clone, "node_modules"), "dir");
  return join(clone, "sdk");
}

/** An application folder: an ES module package with nothing installed. */
export async function application(dir: string, dependencies: Record<string, string> = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module", dependencies }),
  );
  return dir;
}

/** The shell commands of the ```sh blocks under `## {heading}` of sdk/README.md, in order, without comments. */
export async function readmeCommands(heading: string): Promise<string[][]> {
  const markdown = await readFile(join(SDK, "README.md"), "utf8");
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`sdk/README.md has no "## ${heading}"`);
  const section = markdown.slice(start + 1).split(/\n## /)[0] as string;
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((block) =>
    (block[1] as string)
      .split("\n")
      .map((line) => line.replace(/\s+#.*$/, "").trim())
      .filter((line) => line.length > 0),
  );
}

/** Runs a README command in `cwd`, with the clone in place of /path/to/authority. */
export async function runCommand(command: string, cwd: string, clone: string): Promise<string> {
  const line = command.replaceAll("/path/to/authority", clone);
  const { stdout } = await execFileAsync("sh", ["-c", `${line} --no-audit --no-fund --loglevel=error`], {
    cwd,
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`${line} failed:\n${error.stdout ?? ""}\n${error.stderr ?? error.message}`);
  });
  return stdout;
}

/** Runs `node -e script` (an ES module) in `cwd` and parses the JSON it prints. */
export async function nodeJson<T>(cwd: string, script: string, env: Record<string, string> = {}): Promise<T> {
  const { stdout } = await execFileAsync(process.execPath, ["--input-type=module", "-e", script], {
    cwd,
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout) as T;
}
