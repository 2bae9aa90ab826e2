import { toHex } from "../crypto/encoding.js";

/**
 * IP addresses for rate limiting and the trusted-proxy chain: parsing (IPv4,
 * IPv6 with `::` and embedded IPv4, zone ids dropped), CIDR matching, and the
 * bucket a client is counted in. An IPv6 host usually controls a whole /64
 * (RFC 4291 §2.5.4 interface ids; SLAAC privacy addresses rotate inside it),
 * so IPv6 clients are counted per /64, IPv4 clients per address.
 */

export interface IpAddress {
  version: 4 | 6;
  /** 4 or 16 bytes; IPv4-mapped IPv6 (::ffff:a.b.c.d) is returned as IPv4. */
  bytes: Uint8Array;
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return null;
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  let body = text;
  const tail: number[] = [];
  // A trailing dotted quad stands for the last 32 bits (RFC 4291 §2.2, form 3).
  const lastColon = body.lastIndexOf(":");
  if (body.includes(".", lastColon)) {
    const v4 = parseIpv4(body.slice(lastColon + 1));
    if (!v4) return null;
    tail.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    body = body.slice(0, lastColon + 1);
    // Keep a `::` that ends right before the quad; drop a single separator colon.
    if (!body.endsWith("::")) body = body.slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const group = (s: string) => (s === "" ? [] : s.split(":"));
  const head = group(halves[0] as string);
  const rest = halves.length === 2 ? group(halves[1] as string) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const words: number[] = [];
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return null;
  words.push(...head.map((g) => Number.parseInt(g, 16)));
  if (halves.length === 2) for (let i = explicit; i < 8; i++) words.push(0);
  words.push(...rest.map((g) => Number.parseInt(g, 16)), ...tail);
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

export function parseIp(raw: string | null | undefined): IpAddress | null {
  if (!raw) return null;
  let text = raw.trim();
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const zone = text.indexOf("%");
  if (zone !== -1) text = text.slice(0, zone);
  if (!text.includes(":")) {
    const v4 = parseIpv4(text);
    return v4 ? { version: 4, bytes: v4 } : null;
  }
  const v6 = parseIpv6(text);
  if (!v6) return null;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? { version: 4, bytes: v6.slice(12) } : { version: 6, bytes: v6 };
}

export interface Cidr {
  address: IpAddress;
  prefix: number;
}

/** `10.0.0.0/8`, `fd00::/8`, or a single address (full-length prefix). */
export function parseCidr(text: string): Cidr | null {
  const [addr, bits, extra] = text.trim().split("/");
  if (extra !== undefined) return null;
  const address = parseIp(addr);
  if (!address) return null;
  const max = address.version === 4 ? 32 : 128;
  if (bits === undefined) return { address, prefix: max };
  if (!/^[0-9]{1,3}$/.test(bits) || Number(bits) > max) return null;
  return { address, prefix: Number(bits) };
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.address.version !== ip.version) return false;
  let remaining = cidr.prefix;
  for (let i = 0; remaining > 0; i++, remaining -= 8) {
    const mask = remaining >= 8 ? 0xff : (0xff << (8 - remaining)) & 0xff;
    if (((cidr.address.bytes[i] as number) & mask) !== ((ip.bytes[i] as number) & mask)) return false;
  }
  return true;
}

/** The rate-limit bucket of a client: `4:a.b.c.d` or `6:{first 64 bits}`; `unknown` without an address. */
export function ipBucket(raw: string | null | undefined): string {
  const ip = parseIp(raw);
  if (!ip) return "unknown";
  return ip.version === 4 ? `4:${ip.bytes.join(".")}` : `6:${toHex(ip.bytes.subarray(0, 8))}`;
}

/**
 * The client address behind trusted proxies: when the peer is trusted, walk
 * X-Forwarded-For from the right (each proxy appends the address it saw) and
 * take the first address no trusted proxy owns. Entries left of it were
 * written by the client and cannot be believed. Without trusted proxies the
 * header is ignored entirely.
 */
export function clientAddress(peer: string | null, forwardedFor: string | undefined, trusted: Cidr[]): string | null {
  const isTrusted = (raw: string | null) => {
    const ip = parseIp(raw);
    return ip !== null && trusted.some((cidr) => cidrContains(cidr, ip));
  };
  if (!forwardedFor || !isTrusted(peer)) return peer;
  const hops = forwardedFor
    .split(",")
    .map((hop) => hop.trim())
    .filter((hop) => hop !== "");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!parseIp(hop)) return peer; // a malformed hop: trust nothing beyond the peer
    if (!isTrusted(hop)) return hop;
  }
  return hops[0] ?? peer;
}
