/**
 * Policy over the rendered manifests (k8s-fallback/rendered/*.yaml): what
 * issue 10 and docs/deploy/kubernetes.md promise about the Kubernetes deployment, checked on
 * the objects a cluster would receive. Production is held to its numbers
 * (3+ replicas, HPA minimum 3); both overlays to everything else.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { IExternalSecret } from "@kubernetes-models/external-secrets/external-secrets.io/v1";
import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import type { IDeployment } from "kubernetes-models/apps/v1";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import type { ICronJob, IJob } from "kubernetes-models/batch/v1";
import type { INetworkPolicy, INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1";
import type { IConfigMap, IContainer, INamespace, IProbe, IService, IServiceAccount } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { all, loadRendered, type Manifest, OVERLAYS, type Overlay, one, podTemplates, ROOT, selects } from "./k8s.js";

/** The variables the ExternalSecret must sync, and that must never sit in the ConfigMap. */
const SECRET_KEYS = [
  "DATABASE_URL",
  "REDIS_URL",
  "BOOTSTRAP_ADMIN_KEY",
  "ENCRYPTION_KEYS",
  "METRICS_TOKEN",
  "SMTP_URL",
];
const NAMESPACE: Record<Overlay, string> = { staging: "authority-staging", production: "authority" };
const MIN_REPLICAS: Record<Overlay, number> = { staging: 2, production: 3 };

const dockerfile = readFileSync(join(ROOT, "k8s-fallback", "Dockerfile"), "utf8");
/** The image's user (`USER uid:gid`) and port (`EXPOSE`), which the pods must agree with. */
const imageUser = Number(/^USER\s+(\d+)/m.exec(dockerfile)?.[1]);
const imagePort = Number(/^EXPOSE\s+(\d+)/m.exec(dockerfile)?.[1]);
/** Every variable docs/configuration.md documents. */
const documented = new Set(
  [...readFileSync(join(ROOT, "docs", "configuration.md"), "utf8").matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/gm)].map(
    (m) => m[1],
  ),
);

const containersOf = (spec: { containers: IContainer[]; initContainers?: IContainer[] }) => [
  ...(spec.initContainers ?? []),
  ...spec.containers,
];

/** The container port a probe or Service names (by name or number). */
function resolvePort(container: IContainer, port: string | number | undefined): number | undefined {
  if (typeof port === "number") return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

describe.each(OVERLAYS)("%s", (overlay) => {
  const manifests = loadRendered(overlay);
  const templates = podTemplates(manifests);
  const deployment = one<IDeployment>(manifests, "Deployment", "authority");
  const podSpec = deployment.spec?.template.spec;
  const podLabels = deployment.spec?.template.metadata?.labels ?? {};
  const server = podSpec?.containers.find((c) => c.name === "authority");
  const configMap = one<IConfigMap>(manifests, "ConfigMap");
  const settings = configMap.data ?? {};
  const externalSecret = one<IExternalSecret>(manifests, "ExternalSecret");
  const secretName = externalSecret.spec?.target?.name;
  const fakeSecrets: Record<string, string> = {
    DATABASE_URL: "postgres://authority@postgres.example.internal:5432/authority",
    REDIS_URL: "rediss://redis.example.internal:6379",
    BOOTSTRAP_ADMIN_KEY: randomBytes(24).toString("hex"),
    ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    METRICS_TOKEN: randomBytes(16).toString("hex"),
    SMTP_URL: "smtp://authority:secret@smtp.example.net:587",
  };
  /** The configuration the server pods start with, read by the service's own parser. */
  const config = parseConfig({ ...settings, ...fakeSecrets }, "node");

  it("has the pod templates it should: the server, the migration Job and two CronJobs", () => {
    expect(templates.map((t) => `${t.owner.kind}/${t.owner.metadata.name}`).sort()).toEqual([
      "CronJob/authority-cleanup",
      "CronJob/authority-rotate-keys",
      "Deployment/authority",
      "Job/authority-migrate",
    ]);
    expect(server, "the server container").toBeDefined();
  });

  describe("every pod (server, Job, CronJobs)", () => {
    it("runs as the image's numeric non-root user, with a dedicated service account and no token", () => {
      expect(imageUser).toBeGreaterThan(0);
      const accounts = all<IServiceAccount>(manifests, "ServiceAccount");
      for (const { owner, spec } of templates) {
        const id = `${owner.kind}/${owner.metadata.name}`;
        expect(spec.securityContext?.runAsNonRoot, id).toBe(true);
        expect(spec.securityContext?.runAsUser, id).toBe(imageUser);
        expect(spec.automountServiceAccountToken, id).toBe(false);
        expect(spec.serviceAccountName, id).toBe("authority");
        for (const container of containersOf(spec)) {
          expect(container.securityContext?.runAsNonRoot, `${id} ${container.name}`).not.toBe(false);
          expect(container.securityContext?.runAsUser ?? imageUser, `${id} ${container.name}`).toBe(imageUser);
        }
      }
      expect(accounts.map((a) => a.metadata?.name)).toEqual(["authority"]);
      expect(accounts[0]?.automountServiceAccountToken).toBe(false);
    });

    it("drops every capability, forbids privilege escalation and keeps the root filesystem read-only", () => {
      for (const { owner, spec } of templates) {
        for (const container of containersOf(spec)) {
          const id = `${owner.kind}/${owner.metadata.name} ${container.name}`;
          const context = container.securityContext;
          expect(context?.allowPrivilegeEscalation, id).toBe(false);
          expect(context?.readOnlyRootFilesystem, id).toBe(true);
          expect(context?.privileged ?? false, id).toBe(false);
          expect(context?.capabilities?.drop, id).toEqual(["ALL"]);
          expect(context?.capabilities?.add ?? [], id).toEqual([]);
          // The one writable place: /tmp, an emptyDir of the pod.
          const tmp = container.volumeMounts?.find((mount) => mount.mountPath === "/tmp");
          expect(tmp, `${id} mounts /tmp`).toBeDefined();
          const volume = spec.volumes?.find((v) => v.name === tmp?.name);
          expect(volume?.emptyDir, `${id} /tmp is an emptyDir`).toBeDefined();
          expect(volume?.hostPath, id).toBeUndefined();
        }
        expect(spec.hostNetwork ?? false).toBe(false);
        expect(spec.hostPID ?? false).toBe(false);
        expect(spec.hostIPC ?? false).toBe(false);
      }
    });

    it("uses the RuntimeDefault seccomp profile", () => {
      for (const { owner, spec } of templates) {
        expect(spec.securityContext?.seccompProfile?.type, owner.metadata.name).toBe("RuntimeDefault");
        for (const container of containersOf(spec)) {
          expect(container.securityContext?.seccompProfile?.type ?? "RuntimeDefault").toBe("RuntimeDefault");
        }
      }
    });

    it("sets CPU and memory requests and limits on every container, requests within limits", () => {
      const cpu = (q: string | number | undefined) =>
        typeof q === "number" ? q : q?.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q);
      const bytes = (q: string | number | undefined) => {
        const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(String(q));
        if (!match) return Number.NaN;
        return Number(match[1]) * ({ Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] ?? ""] ?? 1);
      };
      for (const { owner, spec } of templates) {
        for (const container of containersOf(spec)) {
          const id = `${owner.kind}/${owner.metadata.name} ${container.name}`;
          const { requests, limits } = container.resources ?? {};
          for (const [name, value] of [
            ["requests.cpu", cpu(requests?.cpu)],
            ["limits.cpu", cpu(limits?.cpu)],
            ["requests.memory", bytes(requests?.memory)],
            ["limits.memory", bytes(limits?.memory)],
          ] as const) {
            expect(value, `${id} ${name}`).toBeGreaterThan(0);
          }
          expect(cpu(requests?.cpu), id).toBeLessThanOrEqual(cpu(limits?.cpu));
          expect(bytes(requests?.memory), id).toBeLessThanOrEqual(bytes(limits?.memory));
        }
      }
    });

    it("runs one image, by an explicit tag that is not latest (or a digest), also named by the version label", () => {
      const images = new Set(templates.flatMap(({ spec }) => containersOf(spec).map((c) => c.image ?? "")));
      expect(images.size).toBe(1);
      const [image = ""] = [...images];
      const match = /^(?<repository>[^@\s]+?)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/.exec(
        image,
      );
      expect(match, image).not.toBeNull();
      const { tag, digest } = match?.groups ?? {};
      expect(tag !== undefined || digest !== undefined, `${image} has a tag or digest`).toBe(true);
      expect(tag, image).not.toBe("latest");
      for (const manifest of manifests) {
        const version = manifest.metadata.labels?.["app.kubernetes.io/version"];
        if (tag) expect(version, `${manifest.kind}/${manifest.metadata.name} version label`).toBe(tag);
      }
      for (const { spec } of templates) {
        for (const container of containersOf(spec)) expect(container.imagePullPolicy).not.toBe("Always");
      }
    });

    it("reads the ConfigMap and the synced Secret, nothing else", () => {
      for (const { owner, spec } of templates) {
        for (const container of containersOf(spec)) {
          const id = `${owner.kind}/${owner.metadata.name} ${container.name}`;
          expect(container.envFrom, id).toEqual([
            { configMapRef: { name: configMap.metadata?.name } },
            { secretRef: { name: secretName } },
          ]);
          expect(container.env ?? [], id).toEqual([]);
        }
        expect(spec.enableServiceLinks, owner.metadata.name).toBe(false);
      }
    });
  });

  it("labels every object and pod template with app.kubernetes.io/*", () => {
    const expected = {
      "app.kubernetes.io/name": "authority",
      "app.kubernetes.io/part-of": "authority",
      "app.kubernetes.io/managed-by": "kustomize",
      "app.kubernetes.io/instance": `authority-${overlay}`,
    };
    for (const manifest of manifests) {
      expect(manifest.metadata.labels, `${manifest.kind}/${manifest.metadata.name}`).toMatchObject(expected);
      expect(manifest.metadata.labels?.["app.kubernetes.io/component"], manifest.metadata.name).toBeTruthy();
    }
    for (const { owner, labels } of templates) {
      expect(labels, `${owner.kind}/${owner.metadata.name} pod template`).toMatchObject(expected);
    }
  });

  it("puts every object in the overlay's namespace, which enforces the restricted Pod Security profile", () => {
    const namespace = one<INamespace>(manifests, "Namespace");
    expect(namespace.metadata?.name).toBe(NAMESPACE[overlay]);
    expect(namespace.metadata?.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const manifest of manifests.filter((m) => m.kind !== "Namespace")) {
      expect(manifest.metadata.namespace, `${manifest.kind}/${manifest.metadata.name}`).toBe(NAMESPACE[overlay]);
    }
  });

  it("renders no Secret: the secrets come from the ExternalSecret only", () => {
    expect(manifests.filter((m) => m.kind === "Secret")).toEqual([]);
    expect(externalSecret.apiVersion).toBe("external-secrets.io/v1");
    expect(externalSecret.spec?.secretStoreRef?.kind).toBe("ClusterSecretStore");
    expect(externalSecret.spec?.secretStoreRef?.name).toBe(`${overlay}-secrets`);
    expect(externalSecret.spec?.target?.name).toBe("authority-secrets");
    expect(externalSecret.spec?.data?.map((d) => d.secretKey).sort()).toEqual([...SECRET_KEYS].sort());
    for (const data of externalSecret.spec?.data ?? []) expect(data.remoteRef.key).toBeTruthy();
  });

  describe("the ConfigMap", () => {
    it("is a valid production configuration for the service, once the secrets are added", () => {
      expect(config.APP_ENV).toBe("production");
      expect(config.PUBLIC_URL).toMatch(/^https:\/\//);
      expect(config.PORT).toBe(imagePort);
    });

    it("has the pods leave migrating to the migration Job", () => {
      expect(settings.MIGRATE_ON_START).toBe("false");
      expect(config.MIGRATE_ON_START).toBe(false);
    });

    it("names only variables docs/configuration.md documents, and no secret", () => {
      expect(Object.keys(settings).filter((name) => !documented.has(name))).toEqual([]);
      expect(Object.keys(settings).filter((name) => SECRET_KEYS.includes(name))).toEqual([]);
      expect(Object.keys(settings)).not.toContain("OTEL_EXPORTER_OTLP_HEADERS");
    });

    it("names the sender of the account mails, which leave over SMTP_URL (a secret)", () => {
      expect(config.MAIL_FROM).toMatch(/<no-reply@auth\.(staging\.)?example\.com>$/);
      expect(config.SMTP_URL).toBe(fakeSecrets.SMTP_URL);
    });

    it("exports traces to the collector on the port the NetworkPolicy opens (4318)", () => {
      expect(new URL(settings.OTEL_EXPORTER_OTLP_ENDPOINT ?? "").port).toBe("4318");
    });
  });

  describe("the server Deployment", () => {
    it(`runs at least ${MIN_REPLICAS[overlay]} replicas and rolls one new pod at a time, never fewer`, () => {
      expect(deployment.spec?.replicas).toBeGreaterThanOrEqual(MIN_REPLICAS[overlay]);
      expect(deployment.spec?.strategy?.type).toBe("RollingUpdate");
      expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
      expect(deployment.spec?.strategy?.rollingUpdate?.maxSurge).toBe(1);
      expect(selects(deployment.spec?.selector.matchLabels, podLabels)).toBe(true);
    });

    it("serves on the image's port and probes /healthz (startup, liveness) and /readyz (readiness) there", () => {
      expect(server?.ports?.map((p) => p.containerPort)).toEqual([imagePort]);
      const probes: [string, IProbe | undefined, string][] = [
        ["startupProbe", server?.startupProbe, "/healthz"],
        ["livenessProbe", server?.livenessProbe, "/healthz"],
        ["readinessProbe", server?.readinessProbe, "/readyz"],
      ];
      for (const [name, probe, path] of probes) {
        expect(probe?.httpGet?.path, name).toBe(path);
        expect(server && resolvePort(server, probe?.httpGet?.port), name).toBe(config.PORT);
        expect(probe?.httpGet?.scheme ?? "HTTP", name).toBe("HTTP");
      }
      // /readyz waits READINESS_TIMEOUT for Postgres and Redis: the probe waits longer.
      expect((server?.readinessProbe?.timeoutSeconds ?? 1) * 1000).toBeGreaterThan(config.READINESS_TIMEOUT);
      // The startup probe gives a slow start (migrations are not run here, but the WASM is compiled) 30 s or more.
      const startup = server?.startupProbe;
      expect((startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3)).toBeGreaterThanOrEqual(30);
    });

    it("gives SIGTERM more time than SHUTDOWN_DRAIN_DELAY + SHUTDOWN_TIMEOUT of its ConfigMap", () => {
      const grace = (podSpec?.terminationGracePeriodSeconds ?? 30) * 1000;
      expect(config.SHUTDOWN_DRAIN_DELAY).toBeGreaterThan(0);
      expect(grace).toBeGreaterThan(config.SHUTDOWN_DRAIN_DELAY + config.SHUTDOWN_TIMEOUT);
      // No preStop hook (it would need a shell or a sleep binary): the process drains itself.
      expect(server?.lifecycle?.preStop).toBeUndefined();
    });

    it("spreads its pods across zones and nodes", () => {
      const constraints = podSpec?.topologySpreadConstraints ?? [];
      expect(constraints.map((c) => c.topologyKey).sort()).toEqual([
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
      ]);
      for (const constraint of constraints) {
        expect(selects(constraint.labelSelector?.matchLabels, podLabels), constraint.topologyKey).toBe(true);
        expect(constraint.maxSkew).toBe(1);
      }
      const zone = constraints.find((c) => c.topologyKey === "topology.kubernetes.io/zone");
      expect(zone?.whenUnsatisfiable).toBe("DoNotSchedule");
    });
  });

  it("has a Service that sends to the server pods only, on their http port", () => {
    const service = one<IService>(manifests, "Service");
    expect(selects(service.spec?.selector, podLabels)).toBe(true);
    for (const { owner, labels } of templates.filter((t) => t.owner.kind !== "Deployment")) {
      expect(selects(service.spec?.selector, labels), owner.metadata.name).toBe(false);
    }
    expect(service.spec?.ports?.map((p) => [p.name, server && resolvePort(server, p.targetPort)])).toEqual([
      ["http", config.PORT],
    ]);
  });

  it(`autoscales the Deployment from ${MIN_REPLICAS[overlay]} replicas (autoscaling/v2)`, () => {
    const hpa = one<IHorizontalPodAutoscaler>(manifests, "HorizontalPodAutoscaler");
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.spec?.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "authority" });
    expect(hpa.spec?.minReplicas).toBeGreaterThanOrEqual(MIN_REPLICAS[overlay]);
    expect(hpa.spec?.maxReplicas).toBeGreaterThan(hpa.spec?.minReplicas ?? 0);
    // The Deployment's own count is the HPA's minimum (docs/deploy/kubernetes.md).
    expect(deployment.spec?.replicas).toBe(hpa.spec?.minReplicas);
    expect(hpa.spec?.metrics?.map((m) => m.resource?.name)).toContain("cpu");
  });

  it("has a PodDisruptionBudget over the server pods that still lets one go", () => {
    const pdb = one<IPodDisruptionBudget>(manifests, "PodDisruptionBudget");
    expect(selects(pdb.spec?.selector?.matchLabels, podLabels)).toBe(true);
    for (const { owner, labels } of templates.filter((t) => t.owner.kind !== "Deployment")) {
      expect(selects(pdb.spec?.selector?.matchLabels, labels), owner.metadata.name).toBe(false);
    }
    const replicas = deployment.spec?.replicas ?? 1;
    if (pdb.spec?.maxUnavailable !== undefined) {
      expect(pdb.spec.maxUnavailable).toBe(1);
    } else {
      expect(pdb.spec?.minAvailable).toBeLessThan(replicas);
    }
    expect(replicas - 1).toBeGreaterThanOrEqual(1);
  });

  describe("the NetworkPolicy", () => {
    const policy = one<INetworkPolicy>(manifests, "NetworkPolicy");
    const namespaceOf = (peer: INetworkPolicyPeer) =>
      peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"];

    it("covers every pod of the application, in and out", () => {
      for (const { owner, labels } of templates) {
        expect(selects(policy.spec?.podSelector?.matchLabels, labels), owner.metadata.name).toBe(true);
      }
      expect(policy.spec?.policyTypes?.sort()).toEqual(["Egress", "Ingress"]);
    });

    it("lets in only the ingress controller and Prometheus, on the http port", () => {
      const rules = policy.spec?.ingress ?? [];
      expect(rules.length).toBeGreaterThan(0);
      const peers: string[] = [];
      for (const rule of rules) {
        expect(rule.from?.length, "a rule without `from` admits everyone").toBeGreaterThan(0);
        expect(rule.ports?.length, "a rule without ports admits every port").toBeGreaterThan(0);
        for (const port of rule.ports ?? []) {
          expect(server && resolvePort(server, port.port)).toBe(config.PORT);
          expect(port.protocol ?? "TCP").toBe("TCP");
        }
        for (const peer of rule.from ?? []) {
          expect(peer.ipBlock).toBeUndefined();
          expect(peer.podSelector?.matchLabels, "a pod selector inside the namespace").toBeDefined();
          peers.push(`${namespaceOf(peer)}/${peer.podSelector?.matchLabels?.["app.kubernetes.io/name"]}`);
        }
      }
      expect(peers.sort()).toEqual(["ingress-nginx/ingress-nginx", "monitoring/prometheus"]);
    });

    it("lets out only DNS, Postgres, Redis, SMTP submission, the OTLP collector and HTTPS to public addresses", () => {
      const rules = policy.spec?.egress ?? [];
      const opened: string[] = [];
      for (const rule of rules) {
        expect(rule.ports?.length, "a rule without ports opens every port").toBeGreaterThan(0);
        const ports = (rule.ports ?? []).map((p) => `${p.protocol ?? "TCP"}/${p.port}`);
        opened.push(...ports);
        if (ports.some((p) => p.endsWith("/53"))) {
          expect(ports.sort()).toEqual(["TCP/53", "UDP/53"]);
          expect(rule.to?.map((peer) => [namespaceOf(peer), peer.podSelector?.matchLabels?.["k8s-app"]])).toEqual([
            ["kube-system", "kube-dns"],
          ]);
        }
        if (ports.includes("TCP/4318")) {
          expect(ports).toEqual(["TCP/4318"]);
          expect(rule.to?.map(namespaceOf)).toEqual(["observability"]);
        }
        if (ports.includes("TCP/443")) {
          expect(ports).toEqual(["TCP/443"]);
          const blocks = rule.to?.map((peer) => peer.ipBlock) ?? [];
          expect(blocks.length).toBeGreaterThan(0);
          for (const block of blocks) expect(block, "HTTPS only to address blocks").toBeDefined();
          const v4 = blocks.find((block) => block?.cidr === "0.0.0.0/0");
          for (const privateRange of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"]) {
            expect(v4?.except, `HTTPS never to ${privateRange}`).toContain(privateRange);
          }
        }
      }
      expect(opened.sort()).toEqual([
        "TCP/4318",
        "TCP/443",
        "TCP/465",
        "TCP/53",
        "TCP/5432",
        "TCP/587",
        "TCP/6379",
        "UDP/53",
      ]);
    });
  });

  it("has Prometheus scrape /metrics with METRICS_TOKEN from the synced Secret", () => {
    const monitor = one<IServiceMonitor>(manifests, "ServiceMonitor");
    const service = one<IService>(manifests, "Service");
    expect(monitor.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(selects(monitor.spec.selector.matchLabels, service.metadata?.labels ?? {})).toBe(true);
    expect(monitor.spec.endpoints).toHaveLength(1);
    const [endpoint] = monitor.spec.endpoints ?? [];
    expect(service.spec?.ports?.map((p) => p.name)).toContain(endpoint?.port);
    expect(endpoint?.path).toBe("/metrics");
    expect(endpoint?.authorization?.type ?? "Bearer").toBe("Bearer");
    expect(endpoint?.authorization?.credentials).toEqual({ name: secretName, key: "METRICS_TOKEN" });
    expect(externalSecret.spec?.data?.map((d) => d.secretKey)).toContain("METRICS_TOKEN");
  });

  describe("the jobs", () => {
    const argsOf = (spec: { containers: IContainer[] }) => spec.containers.map((c) => c.args);

    it("migrate with dist/node/migrate.js, run once before the rollout (Argo CD: a Sync hook before the Deployment)", () => {
      const job = one<IJob>(manifests, "Job", "authority-migrate");
      const spec = job.spec?.template.spec;
      expect(spec && argsOf(spec)).toEqual([["dist/node/migrate.js"]]);
      expect(spec?.restartPolicy).toBe("Never");
      expect(job.spec?.backoffLimit).toBeGreaterThanOrEqual(1);
      expect(job.spec?.activeDeadlineSeconds).toBeGreaterThan(0);
      const annotations = job.metadata?.annotations ?? {};
      expect(annotations["argocd.argoproj.io/hook"]).toBe("Sync");
      const wave = (m: Manifest | IJob | IDeployment) =>
        Number(m.metadata?.annotations?.["argocd.argoproj.io/sync-wave"]);
      expect(wave(job)).toBeLessThan(wave(deployment));
      for (const name of ["ConfigMap", "ExternalSecret", "ServiceAccount", "NetworkPolicy"]) {
        expect(wave(one(manifests, name)), `${name} before the Job`).toBeLessThan(wave(job));
      }
    });

    it("rotate signing keys and clean up on schedules that never overlap themselves", () => {
      const cronJobs = all<ICronJob>(manifests, "CronJob");
      const commands = cronJobs.map((cronJob) => {
        const spec = cronJob.spec?.jobTemplate.spec?.template.spec;
        expect(cronJob.spec?.concurrencyPolicy, cronJob.metadata?.name).toBe("Forbid");
        expect(cronJob.spec?.schedule.split(/\s+/), cronJob.metadata?.name).toHaveLength(5);
        expect(spec?.restartPolicy).toBe("Never");
        expect(cronJob.spec?.jobTemplate.spec?.activeDeadlineSeconds).toBeGreaterThan(0);
        return spec && argsOf(spec);
      });
      expect(commands).toEqual(
        expect.arrayContaining([[["dist/node/cli.js", "rotate-keys"]], [["dist/node/cli.js", "cleanup"]]]),
      );
      expect(commands).toHaveLength(2);
    });
  });
});
