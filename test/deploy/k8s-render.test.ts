/**
 * The committed renderings (k8s-fallback/rendered/*.yaml) are what
 * `kubectl kustomize` makes of the overlays today. Where kubectl is not
 * installed (it need not be on CI), the committed files are what the other
 * deploy tests check, and this says so.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findKubectl, idOf, loadRendered, OVERLAYS, renderedPath, renderWithKubectl } from "./k8s.js";

const kubectl = findKubectl();
if (!kubectl) {
  console.warn(
    "kubectl is not installed: the drift check of k8s-fallback/rendered/*.yaml is skipped, " +
      "and the deploy tests use the committed renderings as they are.",
  );
}

describe.each(OVERLAYS)("k8s-fallback/rendered/%s.yaml", (overlay) => {
  it("says what made it", () => {
    const header = readFileSync(renderedPath(overlay), "utf8").split("\n").slice(0, 3).join("\n");
    expect(header).toContain(`from k8s-fallback/overlays/${overlay} by scripts/render-k8s.mjs`);
    expect(loadRendered(overlay).length).toBeGreaterThan(10);
  });

  it.skipIf(!kubectl)("matches a fresh `kubectl kustomize` of the overlay (run node scripts/render-k8s.mjs)", () => {
    // Compared as data, object by object: a kustomize version that formats or
    // orders differently is no drift, a changed value is.
    const fresh = renderWithKubectl(kubectl?.bin ?? "kubectl", overlay);
    const committed = loadRendered(overlay);
    const byId = (list: typeof fresh) => new Map(list.map((manifest) => [idOf(manifest), manifest]));
    const freshById = byId(fresh);
    const committedById = byId(committed);
    expect([...committedById.keys()].sort(), "the same objects").toEqual([...freshById.keys()].sort());
    for (const [id, manifest] of freshById) expect(committedById.get(id), id).toEqual(manifest);
  });
});
