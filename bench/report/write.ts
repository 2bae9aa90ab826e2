/**
 * Writes a run's `results.json` and `report.html` into `<root>/<timestamp>-<mode>/`
 * and, for a short run when asked, copies both to `<root>/latest/` (the
 * copy docs/benchmarks.md's figures come from; the timestamped folders are ignored
 * by git).
 */
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Results } from "../results.js";
import { renderHtml } from "./html.js";

export interface Written {
  dir: string;
  json: string;
  html: string;
}

export async function writeReport(results: Results, dir: string): Promise<Written> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, "results.json");
  const html = join(dir, "report.html");
  await writeFile(json, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(html, renderHtml(results));
  return { dir, json, html };
}

export async function publish(results: Results, root: string, latest: boolean): Promise<Written> {
  const stamp = results.startedAt.replace(/[:.]/g, "-").replace(/-\d{3}Z$/, "Z");
  const written = await writeReport(results, join(root, `${stamp}-${results.mode}`));
  if (latest) {
    const dir = join(root, "latest");
    await mkdir(dir, { recursive: true });
    await copyFile(written.json, join(dir, "results.json"));
    await copyFile(written.html, join(dir, "report.html"));
  }
  return written;
}
