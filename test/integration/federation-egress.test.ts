/**
 * Server-side request forgery through provider URLs a tenant admin gives:
 * the production egress policy at configuration and at login time, and, in
 * any environment, no redirects followed, a bounded answer size, and one
 * fixed message to the browser whatever made an upstream call fail (so the
 * callback cannot tell a closed port from an open one).
 */
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OAuth2Entry } from "../../src/core/federation/catalogue.js";
import { UpstreamClient } from "../../src/core/federation/upstream.js";
import { type EgressPolicy, localEgress, publicEgress } from "../../src/core/net/egress.js";
import { appClient, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { freePort } from "../support/ports.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { recordingLogger } from "../support/recorders.js";

const APP = "https://app.example.com/callback";
const DISCOVERY_FAILED = "The provider's configuration could not be fetched.";
const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };

let t: TestApp;
const logs = recordingLogger();
/** The policy the app runs with; a test may switch it to production's. */
let policy: EgressPolicy = localEgress;
const servers: Server[] = [];

/** A loopback HTTP server; `hits` counts the requests it received. */
async function serve(handler: RequestListener = (_req, res) => res.end()) {
  const state = { hits: 0 };
  const server = createServer((req, res) => {
    state.hits++;
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(state, { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

beforeAll(async () => {
  t = await startTestApp({
    logger: logs.logger,
    egressPolicy: { refusal: (url) => policy.refusal(url), allowsAddress: (a) => policy.allowsAddress(a) },
  });
  await appClient(t).createTenant("egress");
  expect((await appClient(t).redirectUris("egress", [APP])).status).toBe(200);
});
afterAll(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await t.close();
});

const configure = (name: string, issuer: string) =>
  t.app.request(`/t/egress/v1/admin/oauth-providers/${name}`, {
    method: "PUT",
    headers: admin,
    body: JSON.stringify({ client_id: "c", client_secret: "s", issuer }),
  });

/** Starts a login; resolves where the browser is sent back (the app's redirect URI) and the log's reason. */
async function authorize(name: string) {
  logs.lines.length = 0;
  const query = new URLSearchParams({ redirect_uri: APP, state: "st" });
  const answer = await t.app.request(`/t/egress/v1/oauth/${name}/authorize?${query}`);
  expect(answer.status).toBe(302);
  const back = new URL(answer.headers.get("location") ?? "");
  const failed = logs.lines.find((line) => line.event === "federation_failed");
  return { back, reason: String(failed?.fields.reason) };
}

describe("the production policy", () => {
  it.each([
    ["http://127.0.0.1:8080"],
    ["https://10.0.0.1"],
    ["https://169.254.169.254"],
    ["https://[::ffff:127.0.0.1]"],
    ["https://[fd00:ec2::254]"],
    ["https://localhost"],
    ["https://metadata.google.internal"],
    ["http://idp.example.com"],
  ])("refuses the issuer %s at configuration with 400 naming issuer", async (issuer) => {
    policy = publicEgress;
    try {
      const answer = await readAnswer(await configure("corp", issuer));
      expectProblem(answer, 400, "validation_failed");
      expect(answer.json.errors).toMatchObject([{ path: "issuer" }]);
    } finally {
      policy = localEgress;
    }
  });

  it("refuses an issuer with credentials in it under any policy: it is read back as configuration", async () => {
    for (const issuer of ["https://user:pass@idp.example.com", "https://token@idp.example.com"]) {
      const answer = await readAnswer(await configure("creds", issuer));
      expectProblem(answer, 400, "validation_failed");
      expect(answer.json.errors).toEqual([{ path: "issuer", message: "must not contain credentials" }]);
    }
  });

  it("refuses at login a loopback provider stored earlier, without calling it", async () => {
    const idp = await serve();
    expect((await configure("stored", idp.origin)).status).toBe(200);
    policy = publicEgress;
    try {
      const { back, reason } = await authorize("stored");
      expect(back.origin + back.pathname).toBe(APP);
      expect(back.searchParams.get("error")).toBe("temporarily_unavailable");
      expect(back.searchParams.get("error_description")).toBe(DISCOVERY_FAILED);
      expect(reason).toMatch(/refused destination/);
      expect(idp.hits).toBe(0);
    } finally {
      policy = localEgress;
    }
  });
});

describe("what the browser learns of a failed upstream call", () => {
  it("is the same for a closed port, garbage, a TLS error and a timeout; the log tells them apart", async () => {
    const garbage = await serve((_req, res) => res.end("SSH-2.0-OpenSSH_9.6\r\n"));
    const silent = await serve(() => {}); // accepts, never answers
    const plain = await serve();
    const issuers = {
      closed: `http://127.0.0.1:${await freePort()}`,
      garbage: garbage.origin,
      tls: plain.origin.replace("http:", "https:"),
      timeout: silent.origin,
    };
    const seen: Record<string, { error: string | null; description: string | null; reason: string }> = {};
    for (const [name, issuer] of Object.entries(issuers)) {
      expect((await configure(name, issuer)).status).toBe(200);
      const { back, reason } = await authorize(name);
      seen[name] = {
        error: back.searchParams.get("error"),
        description: back.searchParams.get("error_description"),
        reason,
      };
    }
    for (const name of Object.keys(issuers)) {
      expect(seen[name], name).toMatchObject({ error: "temporarily_unavailable", description: DISCOVERY_FAILED });
    }
    expect(seen.closed?.reason).toMatch(/ECONNREFUSED/);
    expect(seen.garbage?.reason).toMatch(/JSON|Content-Type|HTTP/i);
    expect(seen.tls?.reason).toMatch(/SSL|TLS|wrong version|EPROTO/i);
    expect(seen.timeout?.reason).toMatch(/timeout|abort/i);
  }, 20_000);

  it("refuses a discovery document larger than 1 MiB, counted as it streams", async () => {
    const big = await serve((_req, res) => {
      // Chunked, no Content-Length: the size is only known by reading.
      res.writeHead(200, { "Content-Type": "application/json" });
      const origin = `http://${_req.headers.host}`;
      res.write(`{"issuer":"${origin}","authorization_endpoint":"${origin}/authorize","padding":"`);
      for (let i = 0; i < 33; i++) res.write("x".repeat(64 * 1024));
      res.end('"}');
    });
    expect((await configure("big", big.origin)).status).toBe(200);
    const { back, reason } = await authorize("big");
    expect(back.origin + back.pathname).toBe(APP);
    expect(back.searchParams.get("error_description")).toBe(DISCOVERY_FAILED);
    expect(reason).toMatch(/larger than 1048576 bytes/);
  });

  it("keeps the cause as the provider's last upstream error", async () => {
    expect((await configure("gone", `http://127.0.0.1:${await freePort()}`)).status).toBe(200);
    await authorize("gone");
    const tenant = await t.services.tenants.require("egress");
    const record = await t.services.federation.lastUpstreamError(tenant, "gone");
    expect(record).toMatchObject({ step: "discovery", detail: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe("redirects from a provider", () => {
  it("are not followed to another host by an OAuth 2.0 provider's profile call", async () => {
    const elsewhere = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ id: 7, email: "x@example.com" }));
    });
    const provider = await serve((req, res) => {
      if (req.url === "/token") {
        res.writeHead(200, { "Content-Type": "application/json" });
        return res.end(JSON.stringify({ access_token: "at", token_type: "bearer" }));
      }
      res.writeHead(302, { Location: `${elsewhere.origin}/user` });
      res.end();
    });
    const entry: OAuth2Entry = {
      kind: "oauth2",
      issuer: provider.origin,
      authorizationEndpoint: `${provider.origin}/authorize`,
      tokenEndpoint: `${provider.origin}/token`,
      scopes: [],
      profile: async (fetchJson, token) => {
        const user = (await fetchJson(`${provider.origin}/user`, token)) as { id: number };
        return { subject: String(user.id), email: null, emailVerified: false, name: null };
      },
    };
    const client = new UpstreamClient(fetch, localEgress, Date.now);
    const login = client.finish(
      { name: "oauth2", entry, clientId: "c", clientSecret: "s", issuer: null, scopes: [] },
      new URLSearchParams({ code: "abc", state: "st" }),
      { state: "st", codeVerifier: "v".repeat(43), nonce: null },
      "https://auth.test.example/cb",
    );
    await expect(login).rejects.toMatchObject({ step: "userinfo", detail: expect.stringMatching(/302/) });
    expect(provider.hits).toBe(2);
    expect(elsewhere.hits).toBe(0);
  });
});
