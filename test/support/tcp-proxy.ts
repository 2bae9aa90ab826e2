import { type AddressInfo, connect, createServer, type Socket } from "node:net";

/**
 * A TCP proxy on loopback to a real server, whose network can fail on demand.
 * `blackHole()`: from then on every connection, held or new, stays open and
 * carries nothing either way (bytes sent are lost, nothing is answered, no
 * FIN or RST), as when a firewall or NAT drops a route. `restore()`: new
 * connections pass again; black-holed ones stay dead, as their state is lost.
 */
export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  through(url: string): string;
  blackHole(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Proxies to the server of `targetUrl` (postgres://, redis://), on `listenPort` if given. */
export async function startTcpProxy(targetUrl: string, listenPort = 0): Promise<TcpProxy> {
  const parsed = new URL(targetUrl);
  const target = { host: parsed.hostname, port: Number(parsed.port) };
  let down = false;
  const pairs = new Set<{ client: Socket; server?: Socket; dead: boolean }>();
  const swallow = (pair: { client: Socket; server?: Socket; dead: boolean }) => {
    pair.dead = true;
    pair.client.removeAllListeners("data").on("data", () => {});
    pair.server?.removeAllListeners("data").on("data", () => {});
  };
  const proxy = createServer((client) => {
    const pair: { client: Socket; server?: Socket; dead: boolean } = { client, dead: false };
    pairs.add(pair);
    client.on("error", () => {});
    client.on("close", () => {
      pairs.delete(pair);
      pair.server?.destroy();
    });
    if (down) return swallow(pair);
    const server = connect(target.port, target.host);
    pair.server = server;
    server.on("error", () => client.destroy());
    server.on("close", () => {
      if (!pair.dead) client.destroy();
    });
    client.on("data", (chunk) => server.write(chunk));
    server.on("data", (chunk) => client.write(chunk));
  });
  await new Promise<void>((resolve) => proxy.listen(listenPort, "127.0.0.1", resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    port,
    through(url) {
      const parsed = new URL(url);
      parsed.hostname = "127.0.0.1";
      parsed.port = String(port);
      return parsed.toString();
    },
    blackHole() {
      down = true;
      for (const pair of pairs) swallow(pair);
    },
    restore() {
      down = false;
    },
    async close() {
      for (const { client, server } of pairs) {
        client.destroy();
        server?.destroy();
      }
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

/** A server that accepts connections and never answers (nor closes them): a frozen or black-holed peer. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const held = new Set<Socket>();
  const server = createServer((socket) => {
    held.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => held.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** `work`, or a failure naming what did not answer within `ms` (instead of the test's own timeout). */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
