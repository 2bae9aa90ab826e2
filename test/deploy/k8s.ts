/**
 * The Kubernetes manifests as the tests see them: the committed renderings
 * (k8s-fallback/rendered/*.yaml, written by scripts/render-k8s.mjs), a fresh
 * rendering with `kubectl kustomize` when kubectl is installed, and the two
 * validations every rendered object goes through: the Kubernetes OpenAPI
 * schemas (kubernetes-models' compiled validators: types, enums, required
 * fields, formats) and a strict-field check (TypeScript's excess-property check
 * against the same models' interfaces: an unknown or misspelt field anywhere
 * fails, as `kubectl apply --validate=strict` would).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExternalSecret } from "@kubernetes-models/external-secrets/external-secrets.io/v1";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { CronJob, Job } from "kubernetes-models/batch/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, type IPodSpec, Namespace, Service, ServiceAccount } from "kubernetes-models/v1";
import ts from "typescript";
import { parseAllDocuments } from "yaml";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const OVERLAYS = ["staging", "production"] as const;
export type Overlay = (typeof OVERLAYS)[number];
export const renderedPath = (overlay: Overlay) => join(ROOT, "k8s-fallback", "rendered", `${overlay}.yaml`);

/** One rendered object; typed further (kubernetes-models' interfaces) once it has been validated. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Every document of a multi-document YAML text (empty documents dropped); a YAML error throws. */
function parseManifests(text: string): Manifest[] {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) throw new Error("not a YAML stream");
  const manifests: Manifest[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`YAML error: ${document.errors[0]?.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    manifests.push(value as Manifest);
  }
  return manifests;
}

export function loadRendered(overlay: Overlay): Manifest[] {
  return parseManifests(readFileSync(renderedPath(overlay), "utf8"));
}

/** `kubectl` (or $KUBECTL) with its kustomize version, or null when it is not installed. */
export function findKubectl(): { bin: string; kustomize: string } | null {
  const bin = process.env.KUBECTL || "kubectl";
  const result = spawnSync(bin, ["version", "--client"], { encoding: "utf8", timeout: 10_000 });
  if (result.error || result.status !== 0) return null;
  return { bin, kustomize: /Kustomize Version:\s*(\S+)/.exec(result.stdout)?.[1] ?? "unknown" };
}

export function renderWithKubectl(bin: string, overlay: Overlay): Manifest[] {
  const result = spawnSync(bin, ["kustomize", join("k8s-fallback", "overlays", overlay)], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error || result.status !== 0) {
    throw new Error(`kubectl kustomize ${overlay} failed: ${result.error?.message ?? result.stderr}`);
  }
  return parseManifests(result.stdout);
}

/** `apiVersion/kind` of an object. */
export const typeOf = (manifest: { apiVersion: string; kind: string }) => `${manifest.apiVersion}/${manifest.kind}`;
export const idOf = (manifest: Manifest) =>
  `${typeOf(manifest)} ${manifest.metadata?.namespace ?? ""}/${manifest.metadata?.name ?? "(no name)"}`;

interface Validatable {
  validate(): void;
}

/**
 * The kinds the manifests may contain, each with its model (schema validator)
 * and the module and interface its strict-field check types it with. Any other
 * kind fails validation: add it here, with its schema package, first.
 */
const MODELS: Record<string, { create: (data: Manifest) => Validatable; module: string; type: string }> = {
  "v1/Namespace": { create: (d) => new Namespace(d as never), module: "kubernetes-models/v1", type: "INamespace" },
  "v1/ServiceAccount": {
    create: (d) => new ServiceAccount(d as never),
    module: "kubernetes-models/v1",
    type: "IServiceAccount",
  },
  "v1/ConfigMap": { create: (d) => new ConfigMap(d as never), module: "kubernetes-models/v1", type: "IConfigMap" },
  "v1/Service": { create: (d) => new Service(d as never), module: "kubernetes-models/v1", type: "IService" },
  "apps/v1/Deployment": {
    create: (d) => new Deployment(d as never),
    module: "kubernetes-models/apps/v1",
    type: "IDeployment",
  },
  "batch/v1/Job": { create: (d) => new Job(d as never), module: "kubernetes-models/batch/v1", type: "IJob" },
  "batch/v1/CronJob": {
    create: (d) => new CronJob(d as never),
    module: "kubernetes-models/batch/v1",
    type: "ICronJob",
  },
  "autoscaling/v2/HorizontalPodAutoscaler": {
    create: (d) => new HorizontalPodAutoscaler(d as never),
    module: "kubernetes-models/autoscaling/v2",
    type: "IHorizontalPodAutoscaler",
  },
  "policy/v1/PodDisruptionBudget": {
    create: (d) => new PodDisruptionBudget(d as never),
    module: "kubernetes-models/policy/v1",
    type: "IPodDisruptionBudget",
  },
  "networking.k8s.io/v1/NetworkPolicy": {
    create: (d) => new NetworkPolicy(d as never),
    module: "kubernetes-models/networking.k8s.io/v1",
    type: "INetworkPolicy",
  },
  "external-secrets.io/v1/ExternalSecret": {
    create: (d) => new ExternalSecret(d as never),
    module: "@kubernetes-models/external-secrets/external-secrets.io/v1",
    type: "IExternalSecret",
  },
  "monitoring.coreos.com/v1/ServiceMonitor": {
    create: (d) => new ServiceMonitor(d as never),
    module: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
    type: "IServiceMonitor",
  },
};

export const KNOWN_KINDS = Object.keys(MODELS);

/** What the OpenAPI schema of the object's kind finds wrong with it (empty: valid). */
export function schemaErrors(manifest: Manifest): string[] {
  const model = MODELS[typeOf(manifest)];
  if (!model) return [`${idOf(manifest)}: no schema for ${typeOf(manifest)} (known: ${KNOWN_KINDS.join(", ")})`];
  if (typeof manifest.metadata?.name !== "string" || manifest.metadata.name === "") {
    return [`${idOf(manifest)}: metadata.name is required`];
  }
  try {
    model.create(manifest).validate();
    return [];
  } catch (error) {
    const details = (error as { errors?: { instancePath?: string; message?: string }[] }).errors;
    if (!details) return [`${idOf(manifest)}: ${(error as Error).message}`];
    return details.map((detail) => `${idOf(manifest)}: ${detail.instancePath || "/"} ${detail.message}`);
  }
}

/**
 * Unknown fields, at any depth, of every object (empty: none). The objects are
 * written as typed object literals of one in-memory TypeScript module and
 * type-checked against kubernetes-models' interfaces, so an excess property
 * (a misspelt `readOnlyRootFileSystem`, a field at the wrong level) and a value
 * of the wrong type are reported with the line of the literal; TypeScript stops
 * at the first excess property of each object.
 */
export function strictFieldErrors(manifests: Manifest[]): string[] {
  const errors: string[] = [];
  const lines: string[] = [];
  manifests.forEach((manifest, index) => {
    const model = MODELS[typeOf(manifest)];
    if (!model) {
      errors.push(`${idOf(manifest)}: no type for ${typeOf(manifest)}`);
      return;
    }
    lines.push(`import type { ${model.type} as T${index} } from ${JSON.stringify(model.module)};`);
    lines.push(`// ${idOf(manifest)}`);
    lines.push(`export const object${index}: T${index} = ${JSON.stringify(manifest, null, 2)};`);
  });
  const source = lines.join("\n");
  // Inside test/deploy so that the imports resolve from this repository's node_modules.
  const file = join(ROOT, "test", "deploy", "__rendered_manifests__.ts");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
    lib: ["lib.es2022.d.ts"],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const sourceFile = program.getSourceFile(file);
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    // JSON keys are quoted in the literal: name them as fields.
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n").replace(/'"([^"']+)"'/g, "'$1'");
    if (diagnostic.file === sourceFile && diagnostic.start !== undefined && sourceFile) {
      const { line } = sourceFile.getLineAndCharacterOfPosition(diagnostic.start);
      // The nearest `// apiVersion/kind namespace/name` comment above names the object.
      const owner = source
        .split("\n")
        .slice(0, line + 1)
        .reverse()
        .find((l) => l.startsWith("// "));
      errors.push(`${owner?.slice(3) ?? "?"}: ${text} (line ${line + 1}: ${source.split("\n")[line]?.trim()})`);
    } else {
      errors.push(text);
    }
  }
  return errors;
}

/** Every pod template of the objects: Deployments', Jobs' and CronJobs' (their job template's). */
export function podTemplates(
  manifests: Manifest[],
): { owner: Manifest; labels: Record<string, string>; spec: IPodSpec }[] {
  const found: { owner: Manifest; labels: Record<string, string>; spec: IPodSpec }[] = [];
  for (const manifest of manifests) {
    type Template = { metadata?: { labels?: Record<string, string> }; spec?: IPodSpec };
    const spec = manifest.spec as { template?: Template; jobTemplate?: { spec?: { template?: Template } } } | undefined;
    const template =
      manifest.kind === "CronJob"
        ? spec?.jobTemplate?.spec?.template
        : ["Deployment", "Job", "StatefulSet", "DaemonSet", "ReplicaSet"].includes(manifest.kind)
          ? spec?.template
          : undefined;
    if (template?.spec) found.push({ owner: manifest, labels: template.metadata?.labels ?? {}, spec: template.spec });
  }
  return found;
}

/** Every object of a kind; `one` insists on exactly one. */
export const all = <T = Manifest>(manifests: Manifest[], kind: string): T[] =>
  manifests.filter((manifest) => manifest.kind === kind) as unknown as T[];

export function one<T = Manifest>(manifests: Manifest[], kind: string, name?: string): T {
  const matches = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (matches.length !== 1) {
    throw new Error(`expected exactly one ${kind}${name ? ` named ${name}` : ""}, found ${matches.length}`);
  }
  return matches[0] as unknown as T;
}

/** Whether a matchLabels selector selects objects with these labels. */
export const selects = (matchLabels: Record<string, string> | undefined, labels: Record<string, string>) =>
  matchLabels !== undefined &&
  Object.keys(matchLabels).length > 0 &&
  Object.entries(matchLabels).every(([key, value]) => labels[key] === value);
