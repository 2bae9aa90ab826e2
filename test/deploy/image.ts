/**
 * k8s-fallback/Dockerfile built for real with podman, with no registry
 * reachable: each `FROM` image is stood in for by a local one of the same
 * exact name (a Debian minbase rootfs from mmdebstrap, slimmed as Debian's
 * -slim images are, plus the Node binary and npm this machine runs, laid out
 * as the official node image lays them out), imported once and reused while
 * this machine's Node and npm stay the same. Running the image needs no
 * container runtime either (`podman run` cannot set up cgroups here): the
 * image's root filesystem is mounted read-only (`podman image mount`) and its
 * entrypoint runs chrooted into it as the image's user.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DOCKERFILE, parseDockerfile } from "./dockerfile.js";
import { ROOT } from "./k8s.js";

/** The tag the test builds (never one a user builds: compose.yaml's is authority:local). */
export const IMAGE = "localhost/authority:image-test";
const STAND_IN_LABEL = "org.authority.stand-in";
/** Bump when the stand-in's recipe changes, so cached stand-ins are made again. */
const STAND_IN_RECIPE = 1;
/** What Debian's -slim images leave out (debuerreotype's slimify list). */
const SLIM = ["doc/*", "man/*", "info/*", "locale/*", "groff/*", "lintian/*", "linda/*"];

function run(command: string, args: string[], timeout = 600_000): string {
  const result = spawnSync(command, args, { encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ""}\n${result.stderr ?? ""}`.trim().split("\n").slice(-40).join("\n");
    throw new Error(
      `${command} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`,
    );
  }
  return result.stdout;
}

const has = (command: string) => spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;

/** Why the real build cannot run here, or null when it can. */
export function missingTools(): string | null {
  const missing = ["podman", "mmdebstrap", "unshare", "tar"].filter((command) => !has(command));
  if (missing.length > 0) return `${missing.join(" and ")} missing (Debian: apt-get install podman mmdebstrap)`;
  if (process.getuid?.() !== 0) return "not root (podman's chroot builds and the chrooted run need root)";
  return null;
}

/** Docker's reading of a short image name: `node:tag` is docker.io/library/node:tag. */
function qualified(image: string): string {
  const [first, ...rest] = image.split("/");
  if (rest.length > 0 && (first?.includes(".") || first?.includes(":") || first === "localhost")) return image;
  return rest.length === 0 ? `docker.io/library/${image}` : `docker.io/${image}`;
}

const secondsSince = (start: number) => Math.round((Date.now() - start) / 100) / 10;

const imageId = (name: string) =>
  spawnSync("podman", ["image", "inspect", "--format", "{{.Id}}", name], { encoding: "utf8" }).stdout.trim();

/** The stand-in of one `FROM` image: made unless one for this Node and npm is there already. */
function ensureStandIn(image: string): string {
  const name = qualified(image);
  const debian = /-(bookworm|trixie|bullseye)(-slim)?$/.exec(image)?.[1];
  if (!debian || image.includes("@"))
    throw new Error(`no stand-in recipe for ${image} (a node:<version>-<debian>-slim tag)`);
  const npmCli = realpathSync(run("sh", ["-c", "command -v npm"]).trim());
  const npmDir = dirname(dirname(npmCli));
  const npmVersion = run(process.execPath, [npmCli, "--version"]).trim();
  const key = `node ${process.version}, npm ${npmVersion}, ${debian} minbase, recipe ${STAND_IN_RECIPE}`;
  const labelOf = ["image", "inspect", "--format", `{{index .Labels "${STAND_IN_LABEL}"}}`, name];
  const existing = spawnSync("podman", labelOf, { encoding: "utf8" });
  if (existing.status === 0) {
    const label = existing.stdout.trim();
    // No label: the real image (pulled while a registry was reachable) is better than any stand-in.
    if (label === key || label === "" || label === "<no value>") return `${name}: already there`;
  }
  const replaced = existing.status === 0 ? imageId(name) : "";
  const start = Date.now();
  const work = mkdtempSync(join(tmpdir(), "authority-stand-in-"));
  const rootfs = join(work, "rootfs");
  try {
    run("mmdebstrap", [
      "--variant=minbase",
      "--mode=root",
      "--quiet",
      // /bin -> /usr/bin without installing usrmerge (and perl with it), as Debian's images are.
      "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
      ...SLIM.map((path) => `--dpkgopt=path-exclude=/usr/share/${path}`),
      "--dpkgopt=path-include=/usr/share/doc/*/copyright",
      debian,
      rootfs,
    ]);
    // The official node image: the binary in /usr/local/bin, npm and corepack under /usr/local/lib.
    const local = join(rootfs, "usr", "local");
    run("install", ["-D", "-m", "0755", process.execPath, join(local, "bin", "node")]);
    run("mkdir", ["-p", join(local, "lib", "node_modules")]);
    run("cp", ["-a", npmDir, join(local, "lib", "node_modules", "npm")]);
    const links = [
      ["../lib/node_modules/npm/bin/npm-cli.js", "npm"],
      ["../lib/node_modules/npm/bin/npx-cli.js", "npx"],
    ];
    const corepack = join(dirname(npmDir), "corepack");
    if (spawnSync("test", ["-d", corepack]).status === 0) {
      run("cp", ["-a", corepack, join(local, "lib", "node_modules", "corepack")]);
      links.push(["../lib/node_modules/corepack/dist/corepack.js", "corepack"]);
    }
    for (const [target, link] of links) run("ln", ["-s", target as string, join(local, "bin", link as string)]);
    run("chroot", [rootfs, "groupadd", "--gid", "1000", "node"]);
    run("chroot", [rootfs, ..."useradd --uid 1000 --gid node --shell /bin/bash --create-home node".split(" ")]);
    const version = run("chroot", [rootfs, "/usr/local/bin/node", "--version"]).trim();
    if (version !== process.version) throw new Error(`the stand-in's node says ${version}`);
    const tarball = join(work, "rootfs.tar");
    run("tar", ["-C", rootfs, "--numeric-owner", "-cf", tarball, "."]);
    const nodeVersion = process.version.slice(1);
    run("podman", [
      "import",
      "--change",
      "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "--change",
      `ENV NODE_VERSION=${nodeVersion}`,
      "--change",
      `LABEL ${STAND_IN_LABEL}="${key}"`,
      "--change",
      'CMD ["node"]',
      "--message",
      `stand-in for ${image}: ${key}`,
      tarball,
      name,
    ]);
    if (replaced) spawnSync("podman", ["rmi", replaced]);
    return `${name}: made in ${secondsSince(start)} s (${key})`;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Every stage's `FROM` image, stood in for; a line each saying whether it was made or reused. */
export function ensureBaseImages(): string[] {
  const { stages } = parseDockerfile();
  const named = new Set(stages.map((stage) => stage.name));
  const bases = [...new Set(stages.map((stage) => stage.image))].filter((image) => !named.has(image));
  return bases.map(ensureStandIn);
}

/**
 * `podman build` of the Dockerfile as it is, layers cached between runs.
 * The stages that run npm are built first on their own (`--target`) with this
 * machine's npm cache mounted, so `npm ci` needs no registry; the whole build
 * then takes them from the layer cache, and the runtime stage gets no mount
 * (buildah leaves empty mount points in the layers it commits).
 */
export function buildImage(): { seconds: number; steps: string[] } {
  const start = Date.now();
  const { stages } = parseDockerfile();
  const npmStages = stages
    .slice(0, -1)
    .filter((stage) =>
      stage.instructions.some((i) => i.getKeyword() === "RUN" && /\bnpm\b/.test(i.getArgumentsContent() ?? "")),
    );
  const common = ["build", "--pull=never", "--isolation=chroot", "--format=docker", "--layers", "-f", DOCKERFILE];
  const work = mkdtempSync(join(tmpdir(), "authority-build-"));
  const previous = [IMAGE, ...npmStages.map((stage) => `${IMAGE}-${stage.name}`)].map((tag) => [tag, imageId(tag)]);
  const steps: string[] = [];
  try {
    const npmrc = join(work, "npmrc");
    const ca = process.env.NODE_EXTRA_CA_CERTS;
    // Offline first; a miss goes to the registry, trusting what this machine's Node trusts.
    writeFileSync(npmrc, `prefer-offline=true\n${ca ? "cafile=/run/host-ca.crt\n" : ""}`);
    const cache = run("npm", ["config", "get", "cache"]).trim();
    const mounts = ["-v", `${cache}:/root/.npm`, "-v", `${npmrc}:/usr/local/etc/npmrc:ro`];
    if (ca) mounts.push("-v", `${ca}:/run/host-ca.crt:ro`);
    for (const stage of npmStages) {
      const stageStart = Date.now();
      run("podman", [...common, ...mounts, "--target", stage.name ?? "", "-t", `${IMAGE}-${stage.name}`, ROOT]);
      steps.push(`stage ${stage.name}: ${secondsSince(stageStart)} s`);
    }
    const finalStart = Date.now();
    run("podman", [...common, "-t", IMAGE, ROOT]);
    steps.push(`image: ${secondsSince(finalStart)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // The last run's images, when this one made new ones: layers of old builds would pile up.
  for (const [tag, id] of previous) {
    if (id && id !== imageId(tag as string)) spawnSync("podman", ["rmi", id as string], { encoding: "utf8" });
  }
  return { seconds: secondsSince(start), steps };
}

export interface ImageConfig {
  user: string;
  workingDir: string;
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  exposedPorts: string[];
  healthcheck: { Test: string[]; Interval: number; Timeout: number; Retries: number } | null;
  /** Bytes, uncompressed: the sum of the layers. */
  size: number;
  /** Each layer's size and the instruction that made it, base first. */
  layers: { size: number; createdBy: string }[];
}

export function inspectImage(name = IMAGE): ImageConfig {
  const [image] = JSON.parse(run("podman", ["image", "inspect", name])) as {
    Config: {
      User?: string;
      WorkingDir?: string;
      Entrypoint?: string[];
      Cmd?: string[];
      Env?: string[];
      ExposedPorts?: Record<string, unknown>;
    };
    Healthcheck?: ImageConfig["healthcheck"];
    Size: number;
  }[];
  if (!image) throw new Error(`no image ${name}`);
  const history = JSON.parse(run("podman", ["history", "--format", "json", name])) as {
    size: number;
    CreatedBy: string;
  }[];
  const env = Object.fromEntries(
    (image.Config.Env ?? []).map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
  return {
    user: image.Config.User ?? "",
    workingDir: image.Config.WorkingDir ?? "/",
    entrypoint: image.Config.Entrypoint ?? [],
    cmd: image.Config.Cmd ?? [],
    env,
    exposedPorts: Object.keys(image.Config.ExposedPorts ?? {}),
    healthcheck: image.Healthcheck ?? null,
    size: image.Size,
    layers: history.reverse().map((layer) => ({ size: layer.size, createdBy: layer.CreatedBy })),
  };
}

/**
 * Each layer of 1 MB or more and what made it: the runtime stage's
 * instructions are its top layers, in order; the layers below are the base's.
 */
export function layerReport(config: ImageConfig, minimum = 1_000_000): string[] {
  const lines = readFileSync(DOCKERFILE, "utf8").split("\n");
  const runtime = parseDockerfile().stages.at(-1);
  // Each instruction as written (continuation lines joined).
  const instructions = (runtime?.instructions ?? []).map((i) =>
    lines
      .slice(i.getRange().start.line, i.getRange().end.line + 1)
      .join(" ")
      .replace(/\\\s+/g, " "),
  );
  const baseCount = config.layers.length - instructions.length;
  return config.layers.flatMap((layer, index) => {
    if (layer.size < minimum) return [];
    const madeBy =
      index < baseCount ? `FROM ${runtime?.image} (the base image)` : (instructions[index - baseCount] as string);
    return [`${(layer.size / 1_000_000).toFixed(1).padStart(7)} MB  ${madeBy.replace(/\s+/g, " ").slice(0, 100)}`];
  });
}

/** The image's root filesystem, read-only (as with readOnlyRootFilesystem); unmount when done. */
export const mountImage = (name = IMAGE) => run("podman", ["image", "mount", name]).trim();
export const unmountImage = (name = IMAGE) => spawnSync("podman", ["image", "unmount", name]);

/**
 * The argv that runs a container's command: chrooted into the image's root
 * filesystem in a mount namespace of its own (with a fresh /proc), in the
 * image's WORKDIR, as its USER, the entrypoint followed by the arguments.
 * util-linux `unshare --root --wd` is chroot(2) then chdir(2), which
 * coreutils' chroot cannot do (it always changes to /). It execs, so the
 * process spawned is the container's process: its signals are the server's.
 */
export function containerArgv(
  rootfs: string,
  config: ImageConfig,
  args: string[] = config.cmd,
  entrypoint: string[] = config.entrypoint,
): string[] {
  const [uid, gid = uid] = config.user.split(":");
  if (!uid || !/^\d+$/.test(uid) || !/^\d+$/.test(gid ?? "")) throw new Error(`USER ${config.user} is not numeric`);
  return [
    "unshare",
    "--mount",
    "--mount-proc",
    `--root=${rootfs}`,
    `--wd=${config.workingDir}`,
    `--setuid=${uid}`,
    `--setgid=${gid}`,
    "--",
    ...entrypoint,
    ...args,
  ];
}
