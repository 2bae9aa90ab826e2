/**
 * A client on a raw TCP socket, for what fetch and node:http never send: trickled
 * headers and bodies, requests left half-sent, pipelined requests, malformed framing.
 */
import { connect, type Socket } from "node:net";

export interface RawClient {
  socket: Socket;
  /** Everything the server sent. */
  received(): string;
  /** When the first byte from the server arrived, in ms since `openedAt`. */
  firstDataAt(): number | undefined;
  /** Resolves when the server closed the connection, with the time it took since `openedAt`. */
  closed: Promise<number>;
  openedAt: number;
  /** Writes `chunk` every `everyMs` until the connection closes. */
  trickle(chunk: string, everyMs: number): void;
}

export async function rawClient(port: number): Promise<RawClient> {
  const socket = connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const openedAt = Date.now();
  let data = "";
  let firstDataAt: number | undefined;
  socket.on("data", (chunk: Buffer) => {
    firstDataAt ??= Date.now() - openedAt;
    data += chunk.toString("latin1");
  });
  socket.on("error", () => {});
  let timer: ReturnType<typeof setInterval> | undefined;
  const closed = new Promise<number>((resolve) =>
    socket.once("close", () => {
      clearInterval(timer);
      resolve(Date.now() - openedAt);
    }),
  );
  return {
    socket,
    received: () => data,
    firstDataAt: () => firstDataAt,
    closed,
    openedAt,
    trickle(chunk, everyMs) {
      timer = setInterval(() => {
        if (!socket.destroyed) socket.write(chunk);
      }, everyMs);
    },
  };
}

/** Resolves the time the connection took to close, or fails once `limitMs` has passed with it still open. */
export async function closedWithin(client: RawClient, limitMs: number): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const open = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`connection still open after ${limitMs} ms`)), limitMs);
  });
  try {
    return await Promise.race([client.closed, open]);
  } finally {
    clearTimeout(timer);
    client.socket.destroy();
  }
}
