// The bench's floor references (bench/references.ts): `GET /healthz` answering the service's
// JSON from a bare Hono app on @hono/node-server (`hono`), or from bare node:http (`http`),
// on 127.0.0.1:PORT, without logging or middleware. `node bench/bare-server.mjs hono|http PORT`.
import { createServer } from "node:http";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const [kind, port] = process.argv.slice(2);
const listening = () => console.log("listening");
// A normal exit on SIGINT, so that a `--cpu-prof` profile gets written.
process.on("SIGINT", () => process.exit(0));

if (kind === "hono") {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  serve({ fetch: app.fetch, port: Number(port), hostname: "127.0.0.1" }, listening);
} else if (kind === "http") {
  createServer((request, response) => {
    if (request.method === "GET" && request.url === "/healthz") {
      const body = JSON.stringify({ status: "ok" });
      response.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      response.end(body);
    } else {
      response.writeHead(404).end();
    }
  }).listen(Number(port), "127.0.0.1", listening);
} else {
  throw new Error("usage: node bench/bare-server.mjs hono|http PORT");
}
