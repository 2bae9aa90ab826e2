/**
 * Reading a V8 `.cpuprofile` (what `node --cpu-prof` writes): the samples
 * taken inside a time window, their self time summed by function and by
 * file or package, with bundled locations mapped back to their sources
 * through the bundle's source map. No profiler UI needed.
 */
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  /** Sampled milliseconds inside the window, idle excluded. */
  busyMs: number;
  /** Milliseconds the main thread was idle inside the window. */
  idleMs: number;
  functions: Share[];
  files: Share[];
  /** Time with a frame of each named group (a folder: of each of its files) anywhere on the stack (inclusive). */
  inclusive: Share[];
}

const sourceMaps = new Map<string, SourceMap | null>();

function sourceMapOf(url: string): SourceMap | null {
  if (!sourceMaps.has(url)) {
    let map: SourceMap | null = null;
    try {
      const path = url.startsWith("file:") ? fileURLToPath(url) : url;
      map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, "utf8")));
    } catch {
      map = null; // no map next to it: report the bundled location
    }
    sourceMaps.set(url, map);
  }
  return sourceMaps.get(url) ?? null;
}

/** `src/http/app.ts`, `node_modules/hono`, `node:internal/...`, or a V8 pseudo-frame such as `(garbage collector)`. */
function fileOf(frame: CallFrame): { file: string; line: number } {
  if (!frame.url) return { file: frame.functionName || "(anonymous)", line: 0 };
  const map = frame.url.endsWith(".js") ? sourceMapOf(frame.url) : null;
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as
    | { originalSource?: string; originalLine?: number }
    | undefined;
  const raw = entry?.originalSource ?? frame.url;
  const line = (entry?.originalLine ?? frame.lineNumber) + 1;
  const nodeModules = raw.lastIndexOf("node_modules/");
  if (nodeModules >= 0) {
    const [scope = "", name = ""] = raw.slice(nodeModules + "node_modules/".length).split("/");
    return { file: `node_modules/${scope.startsWith("@") ? `${scope}/${name}` : scope}`, line };
  }
  const src = raw.search(/\/(src|bench|sdk)\//);
  return { file: src >= 0 ? raw.slice(src + 1) : raw.replace(/^file:\/\//, ""), line };
}

function top(totals: Map<string, number>, totalMs: number, limit: number): Share[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, ms]) => ({ name, ms, pct: totalMs > 0 ? (100 * ms) / totalMs : 0 }));
}

/**
 * Sums the samples taken between `fromUs` and `toUs` (the profile's clock:
 * CLOCK_MONOTONIC in microseconds, which `process.hrtime` reads in any
 * process on the machine). `groups` name files, packages or folders whose
 * inclusive time is wanted (e.g. the middleware folder: each of its files).
 */
export function summarizeProfile(
  path: string,
  window: { fromUs: number; toUs: number },
  groups: string[] = [],
  limit = 30,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const located = new Map<number, { file: string; name: string }>();
  const locate = (id: number) => {
    let found = located.get(id);
    if (!found) {
      const frame = (byId.get(id) as ProfileNode).callFrame;
      const { file, line } = fileOf(frame);
      found = { file, name: `${frame.functionName || "(anonymous)"} ${file}${line ? `:${line}` : ""}` };
      located.set(id, found);
    }
    return found;
  };
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyMs = 0;
  let idleMs = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (at < window.fromUs || at > window.toUs) continue;
    const id = profile.samples[i] as number;
    const { file, name } = locate(id);
    if (file === "(idle)") {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    functions.set(name, (functions.get(name) ?? 0) + ms);
    files.set(file, (files.get(file) ?? 0) + ms);
    if (groups.length === 0) continue;
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
      const frameFile = locate(node).file;
      // A folder (ending in /) stands for each of its files; anything else for itself.
      for (const group of groups) if (frameFile.startsWith(group)) seen.add(group.endsWith("/") ? frameFile : group);
    }
    for (const group of seen) inclusive.set(group, (inclusive.get(group) ?? 0) + ms);
  }
  return {
    busyMs,
    idleMs,
    functions: top(functions, busyMs, limit),
    files: top(files, busyMs, limit),
    inclusive: top(inclusive, busyMs, limit),
  };
}
