/**
 * The short run on the Node server (real Postgres and Redis): raw limits,
 * then each flow as a measured load phase (refresh on a tenant with keys of
 * --alg, and on an RS256 tenant), bare Hono's `GET /healthz` as the floor of
 * the fixed cost, the stores' cost per session, and at the end the
 * chain-integrity check and the server's log scan.
 */
import { alternatingRounds } from "./alternate.js";
import { Chains, checkChains } from "./chains.js";
import { serviceKeys, signUpUsers } from "./fixtures.js";
import { apiKeyVerifyFlow, getFlow, introspectFlow, loginFlow, refreshFlow } from "./flows.js";
import { forgotParity } from "./forgot-parity.js";
import { runLoad } from "./load.js";
import { type NodeServer, startNodeServer } from "./node-server.js";
import type { BenchOptions, Sizes } from "./options.js";
import { type PhaseSpec, runPhase } from "./phase.js";
import type { Progress } from "./progress.js";
import { accessTokenIssuance, rawArgon2 } from "./raw.js";
import { rawSigning, startBareServer } from "./references.js";
import { postgresUsage, redisUsage } from "./resources.js";
import type { Correctness, EndpointResult, RawLimit, Resources } from "./results.js";
import { localPair, sdkVerification } from "./sdk.js";
import { sdkInWorkerd } from "./sdk-workerd.js";
import { sleep, withDatabase } from "./support.js";
import type { Target } from "./target.js";

export interface RunPart {
  raw: Record<string, RawLimit>;
  endpoints: EndpointResult[];
  figures: { label: string; value: string }[];
  resources: Resources;
  chains: Correctness["chains"];
  logs: Correctness["logs"];
  /** Keys of endpoints whose failed requests do not fail the run (the step that broke a stress ramp). */
  unjudged?: string[];
}

export interface Hooks {
  /** Called before the chain-integrity check (the test breaks a chain here). */
  beforeCheck?(server: NodeServer, chains: Chains): Promise<void>;
}

const pctOf = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
type Phase = (spec: PhaseSpec, target?: Target) => Promise<EndpointResult>;

/**
 * The RS256 target's refresh when the measured tenant signs otherwise: a
 * second tenant with RS256 keys on the same server, its chains started by
 * unmeasured logins. Answers the check of its chains, for the end of the run.
 */
async function refreshRs256(server: NodeServer, s: Sizes, raw: RawLimit, phase: Phase) {
  const tenant = await server.addTenant("bench-rs256", "RS256");
  const users = await signUpUsers(tenant, Math.min(s.users, 20), "r");
  const chains = new Chains();
  const logins = await runLoad({
    base: tenant.base,
    flow: loginFlow(tenant.tenant, users, chains),
    connections: s.loginConnections,
    maxRequests: 2 * s.refreshConnections + 10,
    durationS: 60,
  });
  if (logins.errors || chains.free <= s.refreshConnections)
    throw new Error(`RS256 tenant: ${chains.free} chains, logins failed: ${JSON.stringify(logins.errorSamples)}`);
  await phase(
    {
      key: "node.refresh.rs256",
      label: `POST /t/{t}/v1/token/refresh, RS256 keys (${chains.size} chains)`,
      flow: refreshFlow(tenant.tenant, chains),
      connections: s.refreshConnections,
      warmup: s.refreshWarmup,
      maxRequests: s.refreshes,
      durationS: s.phaseS,
      raw,
    },
    tenant,
  );
  return () => checkChains(chains, refreshOf(tenant));
}

export function refreshOf(server: NodeServer) {
  return (token: string) =>
    server.call("POST", `/t/${server.tenant}/v1/token/refresh`, { refresh_token: token }, server.headers);
}

export function runNode(options: BenchOptions, progress: Progress, hooks: Hooks = {}): Promise<RunPart> {
  const s = options.sizes;
  return withDatabase(async (databaseUrl) => {
    progress.note("raw limits (this process)…");
    const raw: Record<string, RawLimit> = {
      argon2: await rawArgon2(s.rawCpuS),
      [`sign${options.alg}`]: rawSigning(options.alg, s.rawCpuS),
    };
    raw.signRS256 ??= rawSigning("RS256", s.rawCpuS);
    const rs256 = raw.signRS256;
    const issuance = await accessTokenIssuance(databaseUrl, s.rawCpuS);
    const figures = [
      {
        label: "access-token issuance (AccessTokens, in-process)",
        value: `${issuance.perCpuSecond.toFixed(0)} per CPU-second`,
      },
      { label: "issuance / raw RS256 signing (node:crypto)", value: pctOf(issuance.perCpuSecond, rs256.perCpuSecond) },
    ];
    const server = await startNodeServer(
      databaseUrl,
      "bench",
      { REFRESH_GRACE_PERIOD: `${options.graceS}s` },
      { signingAlg: options.alg },
    );
    try {
      const t = server.tenant;
      progress.note(`fixtures: ${s.users} users, ${s.missKeys + 2} API keys…`);
      const users = await signUpUsers(server, s.users);
      const keys = await serviceKeys(server, databaseUrl, s.missKeys);
      const chains = new Chains();
      const endpoints: EndpointResult[] = [];
      const phase: Phase = async (spec, target = server) => {
        const result = await runPhase(target, spec, progress);
        endpoints.push(result);
        return result;
      };
      const resources: Resources = { redis: {} };

      await phase({
        key: "node.login",
        label: "POST /t/{t}/v1/login (each answer starts a refresh chain)",
        flow: loginFlow(t, users, chains),
        connections: s.loginConnections,
        warmup: s.loginWarmup,
        maxRequests: s.logins,
        durationS: s.phaseS,
        raw: raw.argon2,
      });
      resources.redis.afterLogin = await redisUsage(server.prefix);
      if (chains.free <= s.refreshConnections)
        throw new Error(`only ${chains.free} chains for ${s.refreshConnections} clients`);
      await phase({
        key: "node.refresh",
        label: `POST /t/{t}/v1/token/refresh, ${options.alg} keys (${chains.size} chains, each client presenting its chain's last token)`,
        flow: refreshFlow(t, chains),
        connections: s.refreshConnections,
        warmup: s.refreshWarmup,
        maxRequests: s.refreshes,
        durationS: s.phaseS,
        raw: raw[`sign${options.alg}`],
      });
      const refreshEnded = Date.now();
      resources.redis.afterRefresh = await redisUsage(server.prefix);
      const rs256Chains = options.alg === "RS256" ? undefined : await refreshRs256(server, s, rs256, phase);

      progress.note("SDK verification (in-process)…");
      const access = chains.live().map((c) => c.access);
      const sdk = await sdkVerification(server, access, s.sdkVerifications);
      endpoints.push(sdk.endpoint);
      raw.verify = sdk.raw;
      for (const alg of ["ES256", "EdDSA"] as const) {
        const pair = await localPair(alg, s.localVerifications);
        figures.push({
          label: `SDK verify ${alg} / raw crypto.verify (local key)`,
          value: `${pair.sdk.toFixed(0)} / ${pair.raw.toFixed(0)} per CPU-second = ${pctOf(pair.sdk, pair.raw)} (target >= 80%: ${pair.sdk >= 0.8 * pair.raw ? "pass" : "miss"})`,
        });
      }
      if (options.worker) {
        const edge = await sdkInWorkerd(server, access[0] as string, s.workerdVerifications);
        figures.push({
          label: `SDK verify ${options.alg} in workerd / raw crypto.subtle.verify`,
          value: `${edge.sdk.toFixed(0)} / ${edge.raw.toFixed(0)} ${edge.clock} = ${pctOf(edge.sdk, edge.raw)}`,
        });
      }

      const service = {
        connections: s.serviceConnections,
        maxRequests: s.serviceRequests,
        durationS: s.phaseS,
        warmup: 300,
      };
      const liveAccess = () => chains.live().map((c) => c.access);
      const liveRefresh = () => chains.live().map((c) => c.token);
      await phase({
        key: "node.introspect.access",
        label: "POST /t/{t}/v1/introspect (access tokens)",
        flow: introspectFlow(t, keys.caller, liveAccess, "Bearer"),
        ...service,
      });
      await phase({
        key: "node.introspect.refresh",
        label: "POST /t/{t}/v1/introspect (refresh tokens, hint refresh_token)",
        flow: introspectFlow(t, keys.caller, liveRefresh, "refresh_token"),
        ...service,
      });
      await phase({
        key: "node.apikey.hit",
        label: "POST /t/{t}/v1/api-keys/verify (one key: cache hits)",
        flow: apiKeyVerifyFlow(t, keys.caller, [keys.hit]),
        ...service,
      });
      await phase({
        key: "node.apikey.miss",
        label: `POST /t/{t}/v1/api-keys/verify (${keys.miss.length} distinct keys, each once: cache misses)`,
        flow: apiKeyVerifyFlow(t, keys.caller, keys.miss),
        connections: s.serviceConnections,
        maxRequests: keys.miss.length,
        durationS: s.phaseS,
        notes: ["each miss reads the key and its owner from Postgres, caches the result and writes last_used_at"],
      });
      const get = {
        connections: s.serviceConnections,
        maxRequests: s.getRequests,
        durationS: s.phaseS / 2,
        warmup: 200,
      };
      await phase({
        key: "node.jwks",
        label: "GET /t/{t}/.well-known/jwks.json",
        flow: getFlow(`/t/${t}/.well-known/jwks.json`),
        ...get,
      });
      const bare = await startBareServer("hono");
      try {
        const [floor, healthz] = await alternatingRounds(
          [
            {
              target: bare,
              // A fresh process: a warm-up as long as a round, so it is measured compiled, as the service is.
              spec: {
                key: "bare.healthz",
                label: "GET /healthz on a bare Hono app (@hono/node-server, no middleware): the floor",
                flow: getFlow("/healthz"),
                ...get,
                warmup: get.maxRequests,
              },
            },
            { target: server, spec: { key: "node.healthz", label: "GET /healthz", flow: getFlow("/healthz"), ...get } },
          ],
          s.floorRounds,
          (target, spec) => runPhase(target, spec, progress),
        );
        endpoints.push(floor as EndpointResult, healthz as EndpointResult);
      } finally {
        await bare.close();
      }
      await phase({
        key: "node.readyz",
        label: "GET /readyz (Postgres and Redis round trips)",
        flow: getFlow("/readyz"),
        ...get,
      });
      // At most 5 reset mails an hour per address: two rounds per user stay well inside it.
      const parity = await forgotParity(
        server,
        users.map((u) => u.email),
        Math.min(2 * users.length, 200),
      );
      figures.push({
        label: "forgot password, one request at a time: answer time with / without an account (no timing oracle)",
        value: `p50 ${parity.known.p50.toFixed(2)} / ${parity.unknown.p50.toFixed(2)} ms, mean ${parity.known.mean.toFixed(2)} / ${parity.unknown.mean.toFixed(2)} ms (${parity.known.count} each; ${parity.bodiesEqual ? "one body for all" : "BODIES DIFFER"})`,
      });
      await phase({
        key: "node.unknown",
        label: "GET /t/{t}/unknown (tenant from cache, 404 problem)",
        flow: getFlow(`/t/${t}/unknown`, 404),
        ...get,
      });

      // Steady state: once the grace keys of the last rotations have expired.
      await sleep(Math.max(0, options.graceS * 1000 + 1_000 - (Date.now() - refreshEnded)));
      resources.redis.steady = await redisUsage(server.prefix);
      resources.postgres = await postgresUsage(databaseUrl);
      figures.push({
        label: "audit trail on disk (a row per login and admin write)",
        value: `${resources.postgres.auditBytesPerRow.toFixed(0)} bytes per event, indexes included (${resources.postgres.auditRows} events)`,
      });

      await hooks.beforeCheck?.(server, chains);
      progress.note(`checking ${chains.size} refresh chains…`);
      const check = await checkChains(chains, refreshOf(server));
      const checks = { node: check, ...(rs256Chains ? { "node, RS256 tenant": await rs256Chains() } : {}) };
      await server.close();
      const { lines, errors, errorLines } = server.logs;
      return {
        raw,
        endpoints,
        figures,
        resources,
        chains: checks,
        logs: { node: { lines, errors, samples: errorLines } },
      };
    } finally {
      await server.close();
    }
  });
}
