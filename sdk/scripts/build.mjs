#!/usr/bin/env node
// Builds sdk/dist from sdk/src. npm runs it as the `prepare` script: when an
// application installs the SDK from a clone (`npm install /path/to/sdk`, linked
// or with --install-links), on `npm pack`, and in the repository's own install.
// The TypeScript and type packages come from the repository's install (the root
// devDependencies, found by walking up from sdk/); in a clone where `npm ci`
// was not run, the SDK's own devDependencies are installed into sdk/node_modules
// first (that also gives a linked SDK its `jose`).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SDK = dirname(dirname(fileURLToPath(import.meta.url)));
const manifest = JSON.parse(readFileSync(join(SDK, "package.json"), "utf8"));
const needed = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)];

/** Where Node and tsc would find the package from sdk/: its node_modules or an ancestor's. */
function locate(name) {
  for (let dir = SDK; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

const missing = () => needed.filter((name) => locate(name) === null);

function fail(message) {
  console.error(`@authority/sdk build: ${message}`);
  process.exit(1);
}

if (missing().length > 0) {
  console.error(
    `@authority/sdk build: installing its build tools into ${join(SDK, "node_modules")} (${missing().join(", ")})`,
  );
  // The outer npm's settings reach this one through the environment; those that would skip
  // the devDependencies or install somewhere else are dropped, the rest (registry, proxy, cache) kept.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !/^npm_config_(omit|include|only|production|global|prefix|location|install_links|save.*|dry_run|workspaces?|package_lock.*|ignore_scripts)$/i.test(
          name,
        ),
    ),
  );
  const npm = process.env.npm_execpath
    ? [process.execPath, [process.env.npm_execpath]]
    : [process.platform === "win32" ? "npm.cmd" : "npm", []];
  const installed = spawnSync(
    npm[0],
    [
      ...npm[1],
      "install",
      "--include=dev",
      "--no-save",
      "--no-package-lock",
      "--ignore-scripts",
      "--install-links=false",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
    ],
    { cwd: SDK, env, stdio: "inherit", shell: process.platform === "win32" },
  );
  const still = missing();
  if (installed.status !== 0 || still.length > 0) {
    fail(`could not install ${still.join(", ")}: run \`npm ci\` in the repository root, then install the SDK again.`);
  }
}

rmSync(join(SDK, "dist"), { recursive: true, force: true });
const tsc = join(locate("typescript"), "bin", "tsc");
const built = spawnSync(process.execPath, [tsc, "-p", join(SDK, "tsconfig.json")], { stdio: "inherit" });
if (built.status !== 0) fail("tsc failed (above).");
