import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type Cidr, cidrContains, ipBucket, parseIp } from "../core/net/ip.js";
import type { Metrics } from "../core/ports/telemetry.js";

type Listener = (incoming: IncomingMessage, outgoing: ServerResponse) => unknown;

export interface ConnectionLimits {
  /** MAX_CONNECTIONS: connections the process holds at once. */
  max: number;
  /** MAX_CONNECTIONS_PER_ADDRESS: connections one client address may hold. */
  perAddress: number;
  /** TRUSTED_PROXIES: a proxy's connections carry many clients, so no per-address cap applies to them. */
  trusted: Cidr[];
}

/** The connections of one client address (IPv6: its /64, as rate limits count it). */
interface Address {
  key: string;
  open: number;
  idle: Set<Connection>;
}

interface Connection {
  socket: Socket;
  /** Undefined for a trusted proxy's connection. */
  address: Address | undefined;
  /** Requests handed to the app whose response has not finished. */
  unanswered: number;
}

/**
 * Requests one connection may have in the app at once. Node hands over every
 * request of a pipelined batch as soon as it parses them (a 64 KiB read holds
 * about 1,500 short GETs), before any is answered; past this many the
 * connection is closed, and the rest are never handed to the app.
 */
const MAX_UNANSWERED = 16;

const otherThan = (connections: Set<Connection>, kept: Connection) => {
  for (const connection of connections) if (connection !== kept) return connection;
  return undefined;
};

/**
 * Connection slots no client can hoard. A connection with no request in
 * progress and nothing left to write (before its first request, or between
 * keep-alive ones) is idle; the sets below keep idle ones oldest first. A
 * newcomer past MAX_CONNECTIONS_PER_ADDRESS from its address, or past
 * MAX_CONNECTIONS in all, takes the slot of the oldest idle connection (of
 * its address, or of any), so idle keep-alive connections never lock a new
 * client out; when none is idle the newcomer is closed on arrival. A client
 * whose idle connection is closed retries on a new one (RFC 9112 §9.3.1), as
 * after a keep-alive timeout.
 *
 * Returns the wrapper of the request listener that marks connections busy
 * and holds each to MAX_UNANSWERED requests in the app.
 */
export function limitConnections(
  server: Server,
  limits: ConnectionLimits,
  metrics: Metrics,
): (listener: Listener) => Listener {
  const open = new Map<Socket, Connection>();
  const idle = new Set<Connection>();
  const addresses = new Map<string, Address>();
  const trusted = (peer: string) => {
    const ip = parseIp(peer);
    return ip !== null && limits.trusted.some((cidr) => cidrContains(cidr, ip));
  };

  const busy = (connection: Connection) => {
    idle.delete(connection);
    connection.address?.idle.delete(connection);
  };
  // Last in each set is the one idle the shortest time.
  const markIdle = (connection: Connection) => {
    busy(connection);
    if (!open.has(connection.socket) || connection.unanswered > 0) return;
    idle.add(connection);
    connection.address?.idle.add(connection);
  };
  const forget = (connection: Connection) => {
    if (!open.delete(connection.socket)) return;
    busy(connection);
    const address = connection.address;
    if (address && --address.open === 0) addresses.delete(address.key);
  };
  const close = (
    connection: Connection,
    reason: "idle_evicted" | "address_limit" | "connection_limit" | "pipeline_limit",
  ) => {
    forget(connection);
    // Synchronous, unlike end(): the slot (and Node's count for maxConnections) is free at once.
    connection.socket.destroy();
    metrics.increment("connections_closed_total", { reason });
  };
  /** Whether the oldest idle connection of `among` but `newcomer` gave its slot up. */
  const evictFor = (newcomer: Connection, among: Set<Connection>) => {
    const oldest = otherThan(among, newcomer);
    if (oldest) close(oldest, "idle_evicted");
    return oldest !== undefined;
  };

  server.on("connection", (socket: Socket) => {
    const connection: Connection = { socket, address: undefined, unanswered: 0 };
    open.set(socket, connection);
    socket.once("close", () => forget(connection));
    const peer = socket.remoteAddress;
    if (peer !== undefined && !trusted(peer)) {
      const key = ipBucket(peer);
      const address = addresses.get(key) ?? { key, open: 0, idle: new Set() };
      addresses.set(key, address);
      address.open++;
      connection.address = address;
      if (address.open > limits.perAddress && !evictFor(connection, address.idle)) {
        return close(connection, "address_limit");
      }
    }
    if (open.size > limits.max && !evictFor(connection, idle)) return close(connection, "connection_limit");
    markIdle(connection);
  });

  return (listener) => (incoming, outgoing) => {
    const socket = incoming.socket;
    // Parsed after its connection was closed (pipelined behind others): no one is left to answer,
    // so the app never sees it and it is neither logged nor counted.
    if (socket.destroyed || !socket.writable) return;
    const connection = open.get(socket);
    if (connection) {
      if (connection.unanswered >= MAX_UNANSWERED) return close(connection, "pipeline_limit");
      if (connection.unanswered++ === 0) busy(connection);
      outgoing.once("close", () => {
        if (--connection.unanswered > 0) return;
        // A response still queued for a client slow to read it keeps the connection busy until it drains.
        if (connection.socket.writableNeedDrain) connection.socket.once("drain", () => markIdle(connection));
        else markIdle(connection);
      });
    }
    return listener(incoming, outgoing);
  };
}
