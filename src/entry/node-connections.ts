import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type Cidr, cidrContains, ipBucket, parseIp } from "../core/net/ip.js";
import type { Metrics } from "../core/ports/telemetry.js";
import { type IdleCandidate, IdleOrder } from "./idle-order.js";

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
  connections: Set<Connection>;
  idle: IdleOrder<Connection>;
}

interface Connection extends IdleCandidate {
  socket: Socket;
  /** Undefined for a trusted proxy's connection. */
  address: Address | undefined;
  /** The response close listener, made once per connection rather than once per request. */
  answered: () => void;
}

/**
 * Requests one connection may have in the app at once. Node hands over every
 * request of a pipelined batch as soon as it parses them (a 64 KiB read holds
 * about 1,500 short GETs), before any is answered; past this many the
 * connection is closed, and the rest are never handed to the app.
 */
const MAX_UNANSWERED = 16;

/**
 * Connection slots no client can hoard. A connection with no request in
 * progress and nothing left to write (before its first request, or between
 * keep-alive ones) is idle. A newcomer past MAX_CONNECTIONS_PER_ADDRESS from
 * its address, or past MAX_CONNECTIONS in all, takes the slot of the
 * connection idle the longest (of its address, or of any), so idle keep-alive
 * connections never lock a new client out; when none is idle the newcomer is
 * closed on arrival. A client whose idle connection is closed retries on a new
 * one (RFC 9112 §9.3.1), as after a keep-alive timeout.
 *
 * Returns the wrapper of the request listener that counts each connection's
 * requests in the app and holds it to MAX_UNANSWERED.
 */
export function limitConnections(
  server: Server,
  limits: ConnectionLimits,
  metrics: Metrics,
): (listener: Listener) => Listener {
  const open = new Map<Socket, Connection>();
  const idle = new IdleOrder<Connection>();
  const addresses = new Map<string, Address>();
  let moments = 0;
  const trusted = (peer: string) => {
    const ip = parseIp(peer);
    return ip !== null && limits.trusted.some((cidr) => cidrContains(cidr, ip));
  };

  const becameIdle = (connection: Connection) => {
    if (connection.gone || connection.unanswered > 0) return;
    // A response still queued for a client slow to read it keeps the connection busy until it drains.
    if (connection.socket.writableNeedDrain) {
      connection.socket.once("drain", () => becameIdle(connection));
      return;
    }
    connection.idleSince = ++moments;
    idle.push(connection, open.size);
    const address = connection.address;
    address?.idle.push(connection, address.connections.size);
  };
  const forget = (connection: Connection) => {
    if (connection.gone) return;
    connection.gone = true;
    open.delete(connection.socket);
    const address = connection.address;
    address?.connections.delete(connection);
    if (address?.connections.size === 0) addresses.delete(address.key);
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
  /** Whether the connection idle the longest in `order` gave its slot up. */
  const evictFrom = (order: IdleOrder<Connection>) => {
    const oldest = order.takeOldest();
    if (oldest) close(oldest, "idle_evicted");
    return oldest !== undefined;
  };

  server.on("connection", (socket: Socket) => {
    const connection: Connection = {
      socket,
      address: undefined,
      unanswered: 0,
      idleSince: 0,
      gone: false,
      answered: () => {
        if (--connection.unanswered === 0) becameIdle(connection);
      },
    };
    open.set(socket, connection);
    socket.once("close", () => forget(connection));
    const peer = socket.remoteAddress;
    if (peer !== undefined && !trusted(peer)) {
      const key = ipBucket(peer);
      const address = addresses.get(key) ?? { key, connections: new Set(), idle: new IdleOrder<Connection>() };
      addresses.set(key, address);
      address.connections.add(connection);
      connection.address = address;
      if (address.connections.size > limits.perAddress && !evictFrom(address.idle)) {
        return close(connection, "address_limit");
      }
    }
    if (open.size > limits.max && !evictFrom(idle)) return close(connection, "connection_limit");
    // Only now, so the newcomer never gives way to itself.
    becameIdle(connection);
  });

  return (listener) => (incoming, outgoing) => {
    const socket = incoming.socket;
    // Parsed after its connection was closed (pipelined behind others): no one is left to answer,
    // so the app never sees it and it is neither logged nor counted.
    if (socket.destroyed || !socket.writable) return;
    const connection = open.get(socket);
    if (connection) {
      if (connection.unanswered >= MAX_UNANSWERED) return close(connection, "pipeline_limit");
      connection.unanswered++;
      outgoing.on("close", connection.answered);
    }
    return listener(incoming, outgoing);
  };
}
