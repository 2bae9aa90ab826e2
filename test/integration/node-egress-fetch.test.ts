/**
 * The Node fetch for provider URLs checks the addresses a name resolves to
 * at connect time, so a public-looking name that resolves (or is re-pointed)
 * to loopback or a private network is never connected to.
 */
import type { LookupAddress, LookupAllOptions } from "node:dns";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeEgressFetch, type ResolveAll } from "../../src/adapters/net/node-egress-fetch.js";
import { localEgress, publicEgress } from "../../src/core/net/egress.js";

let server: Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  server = createServer((_req, res) => res.end("hello"));
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A resolver that answers these addresses for every name (no network here). */
const resolvingTo =
  (...addresses: string[]): ResolveAll =>
  (_hostname: string, _options: LookupAllOptions, callback) =>
    callback(
      null,
      addresses.map((address): LookupAddress => ({ address, family: address.includes(":") ? 6 : 4 })),
    );

describe("Node egress fetch", () => {
  it("refuses a name that resolves to loopback, before connecting", async () => {
    const before = connections;
    const call = createNodeEgressFetch(publicEgress, resolvingTo("127.0.0.1"))(`http://idp.example.com:${port}/`);
    await expect(call).rejects.toMatchObject({ cause: { code: "EADDRNOTALLOWED" } });
    expect(connections).toBe(before);
  });

  it("refuses a name when any of its addresses is refused", async () => {
    const call = createNodeEgressFetch(publicEgress, resolvingTo("93.184.215.14", "::ffff:127.0.0.1"));
    await expect(call(`http://idp.example.com:${port}/`)).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/refused address/) },
    });
  });

  it("refuses a real loopback connection by the system resolver", async () => {
    const before = connections;
    await expect(createNodeEgressFetch(publicEgress)(`http://localhost:${port}/`)).rejects.toMatchObject({
      cause: { code: "EADDRNOTALLOWED" },
    });
    expect(connections).toBe(before);
  });

  it("connects through the same lookup when the policy allows the address", async () => {
    const answer = await createNodeEgressFetch(
      localEgress,
      resolvingTo("127.0.0.1"),
    )(`http://idp.example.com:${port}/`);
    expect(await answer.text()).toBe("hello");
    const real = await createNodeEgressFetch(localEgress)(`http://localhost:${port}/`);
    expect(real.status).toBe(200);
  });
});
