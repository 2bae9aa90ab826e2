/**
 * Every rendered object is valid for the Kubernetes API it targets: the
 * OpenAPI schemas of Kubernetes (kubernetes-models 5.1.0) and of the CRDs used
 * (External Secrets Operator's external-secrets.io/v1, Prometheus Operator's
 * monitoring.coreos.com/v1), plus no field the schemas do not know. The
 * broken objects below prove that each check does reject.
 */
import { describe, expect, it } from "vitest";
import { KNOWN_KINDS, loadRendered, type Manifest, OVERLAYS, schemaErrors, strictFieldErrors, typeOf } from "./k8s.js";

const deployment = (): Manifest => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "broken" },
  spec: {
    selector: { matchLabels: { app: "x" } },
    template: {
      metadata: { labels: { app: "x" } },
      spec: { containers: [{ name: "x", image: "x:1", ports: [{ containerPort: 8787 }] }] },
    },
  },
});

describe("the validators", () => {
  it("accept a well-formed object", () => {
    expect(schemaErrors(deployment())).toEqual([]);
    expect(strictFieldErrors([deployment()])).toEqual([]);
  });

  it("reject values of the wrong type, missing required fields and bad enums (schema)", () => {
    const broken = deployment();
    const spec = broken.spec as Record<string, unknown> & { template: { spec: Record<string, unknown> } };
    spec.replicas = "three";
    spec.template.spec.containers = [{ image: "x:1" }]; // no name
    spec.template.spec.restartPolicy = 7;
    const errors = schemaErrors(broken);
    expect(errors.join("\n")).toContain("/spec/replicas must be integer");
    expect(errors.join("\n")).toContain("/spec/template/spec/containers/0 must have required property name");
    expect(errors.join("\n")).toContain("/spec/template/spec/restartPolicy must be string");
  });

  it("reject a broken custom resource (ServiceMonitor endpoints must be a list)", () => {
    const errors = schemaErrors({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: { name: "broken" },
      spec: { selector: {}, endpoints: { port: "http" } },
    });
    expect(errors.join("\n")).toContain("/spec/endpoints must be array");
  });

  it("reject an unknown kind and an object without a name", () => {
    expect(schemaErrors({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } })[0]).toContain(
      "no schema for v1/Pod",
    );
    expect(schemaErrors({ apiVersion: "v1", kind: "ConfigMap", metadata: {} as Manifest["metadata"] })[0]).toContain(
      "metadata.name is required",
    );
  });

  it("reject misspelt and misplaced fields at any depth (strict fields; the first one of each object)", () => {
    const misspelt = deployment();
    const pod = (misspelt.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec;
    (pod.containers[0] as Record<string, unknown>).securityContext = { readOnlyRootFileSystem: true };
    const misplaced = deployment();
    misplaced.metadata.name = "misplaced";
    const podSpec = (misplaced.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    podSpec.runAsNonRoot = true; // belongs in securityContext
    const errors = strictFieldErrors([misspelt, misplaced]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain("apps/v1/Deployment /broken: ");
    expect(errors[0]).toContain("'readOnlyRootFileSystem' does not exist in type 'ISecurityContext'");
    expect(errors[1]).toContain("apps/v1/Deployment /misplaced: ");
    expect(errors[1]).toContain("'runAsNonRoot' does not exist in type 'IPodSpec'");
  });
});

describe.each(OVERLAYS)("rendered %s", (overlay) => {
  const manifests = loadRendered(overlay);

  it("has only kinds with a schema", () => {
    expect(manifests.map(typeOf).filter((type) => !KNOWN_KINDS.includes(type))).toEqual([]);
  });

  it("validates every object against its OpenAPI schema", () => {
    expect(manifests.flatMap(schemaErrors)).toEqual([]);
  });

  it("has no field the schemas do not know", () => {
    expect(strictFieldErrors(manifests)).toEqual([]);
  });
});
