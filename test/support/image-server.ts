import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** What the server answers at a path: a status, its headers and body. */
export interface Served {
  status?: number;
  type?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

/** The smallest PNG signature-led body the service takes (only the signature is checked). */
export const PNG = Uint8Array.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);
export const GIF = new TextEncoder().encode("GIF89a\x01\x00\x01\x00\x00\x00\x00;");

/**
 * A local HTTP server on 127.0.0.1 standing for a tenant's image host (the
 * test egress policy allows http on loopback); counts the requests per path.
 */
export async function startImageServer(routes: Record<string, Served>) {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const served = routes[path] ?? { status: 404, body: "not found" };
    res.writeHead(served.status ?? 200, {
      ...(served.type ? { "Content-Type": served.type } : {}),
      ...served.headers,
    });
    res.end(served.body ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    hits: (path: string) => hits.get(path) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
