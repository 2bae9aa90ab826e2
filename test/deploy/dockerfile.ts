/**
 * k8s-fallback/Dockerfile and the build context's .dockerignore as data
 * (dockerfile-ast), for the lint in dockerfile.test.ts and for the real build
 * (image.ts: the stages, their base images, the runtime stage's layers).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Dockerfile, DockerfileParser, type Env, type Instruction } from "dockerfile-ast";
import { ROOT } from "./k8s.js";

export const DOCKERFILE = join(ROOT, "k8s-fallback", "Dockerfile");
/** The build context is the repository root (`docker build -f k8s-fallback/Dockerfile .`). */
const DOCKERIGNORE = join(ROOT, ".dockerignore");

export interface Stage {
  name: string | null;
  /** `FROM` image as written, its name, tag and digest. */
  image: string;
  imageName: string | null;
  tag: string | null;
  digest: string | null;
  instructions: Instruction[];
}

export interface Copy {
  /** The stage copied from (`--from=`), or null for the build context. */
  from: string | null;
  sources: string[];
  destination: string;
  flags: string[];
}

export function parseDockerfile(text = readFileSync(DOCKERFILE, "utf8")): { dockerfile: Dockerfile; stages: Stage[] } {
  const dockerfile = DockerfileParser.parse(text);
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === "FROM") {
      const from = dockerfile.getFROMs().find((f) => f.getRange().start.line === instruction.getRange().start.line);
      stages.push({
        name: from?.getBuildStage() ?? null,
        image: from?.getImage() ?? "",
        imageName: from?.getImageName() ?? null,
        tag: from?.getImageTag() ?? null,
        digest: from?.getImageDigest() ?? null,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { dockerfile, stages };
}

export const instructionsOf = (stage: Stage, keyword: string) =>
  stage.instructions.filter((instruction) => instruction.getKeyword() === keyword);

/**
 * The exec-form (JSON array) arguments of an instruction, or null for the
 * shell form. For HEALTHCHECK, the arguments after `CMD`.
 */
export function execForm(instruction: Instruction): string[] | null {
  let content = (instruction.getArgumentsContent() ?? "").trim();
  if (instruction.getKeyword() === "HEALTHCHECK") {
    content = content
      .replace(/^(--[a-z-]+=\S+\s+)*/, "")
      .replace(/^CMD\s+/, "")
      .trim();
  }
  if (!content.startsWith("[")) return null;
  try {
    const parsed: unknown = JSON.parse(content);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === "string") ? parsed : null;
  } catch {
    return null;
  }
}

export function copiesOf(stage: Stage): Copy[] {
  return instructionsOf(stage, "COPY").map((instruction) => {
    const args = instruction.getArguments().map((a) => a.getValue());
    const flags = args.filter((a) => a.startsWith("--"));
    const paths = args.filter((a) => !a.startsWith("--"));
    // dockerfile-ast reads --from (and the other flags) as flags, not arguments.
    const from =
      (instruction as unknown as { getFromFlag(): { getValue(): string | null } | null }).getFromFlag()?.getValue() ??
      null;
    return { from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? "", flags };
  });
}

/** `ENV name=value` pairs of a stage, in order. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of instructionsOf(stage, "ENV")) {
    for (const property of (instruction as Env).getProperties()) {
      env[property.getName()] = property.getValue() ?? "";
    }
  }
  return env;
}

/**
 * A .dockerignore as Docker reads it (moby/patternmatcher): one pattern a
 * line, `#` comments, `!` re-includes, the last matching pattern decides, a
 * pattern matches a path or any of its parent directories, `*` and `?` stay
 * within one path segment, `**` crosses any number of them.
 */
export function dockerignore(text = readFileSync(DOCKERIGNORE, "utf8")): (path: string) => boolean {
  const patterns = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const exclusion = line.startsWith("!");
      const cleaned = (exclusion ? line.slice(1) : line).trim().replace(/^\/+/, "").replace(/\/+$/, "");
      let source = "";
      for (let i = 0; i < cleaned.length; i++) {
        const ch = cleaned[i] as string;
        if (ch === "*" && cleaned[i + 1] === "*") {
          i++;
          if (cleaned[i + 1] === "/") {
            i++;
            source += "(?:.*/)?";
          } else {
            source += ".*";
          }
        } else if (ch === "*") {
          source += "[^/]*";
        } else if (ch === "?") {
          source += "[^/]";
        } else {
          source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
        }
      }
      return { exclusion, regex: new RegExp(`^${source}$`) };
    });
  return (path: string) => {
    const parts = path.split("/");
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let ignored = false;
    for (const pattern of patterns) {
      if (candidates.some((candidate) => pattern.regex.test(candidate))) ignored = !pattern.exclusion;
    }
    return ignored;
  };
}
