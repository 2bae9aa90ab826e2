/**
 * Where the service may send requests of its own (to identity providers
 * whose URLs tenant admins give): the guard against server-side request
 * forgery. The production policy allows https to public names and public
 * addresses only; development and test allow any https and http on loopback,
 * where local test providers run.
 */
import { type Cidr, cidrContains, type IpAddress, parseCidr, parseIp } from "./ip.js";

export interface EgressPolicy {
  /** Why this URL may not be called (scheme, credentials, name or literal address), or null when it may. */
  refusal(url: URL): string | null;
  /** Whether a connection may go to this address (a runtime that resolves names itself asks at every connect). */
  allowsAddress(address: string): boolean;
}

/** http is accepted for loopback hosts only (local providers, tests, native apps' redirects). */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

const cidrs = (list: string[]): Cidr[] => list.map((text) => parseCidr(text) as Cidr);

/** IPv4 ranges no upstream provider lives in (RFC 6890 special-purpose registry and friends). */
const BLOCKED_V4 = cidrs([
  "0.0.0.0/8", // "this network", incl. the unspecified address
  "10.0.0.0/8", // RFC 1918
  "100.64.0.0/10", // RFC 6598 carrier-grade NAT
  "127.0.0.0/8", // loopback
  "169.254.0.0/16", // link-local, incl. cloud metadata 169.254.169.254
  "172.16.0.0/12", // RFC 1918
  "192.0.0.0/24", // IETF protocol assignments
  "192.0.2.0/24", // TEST-NET-1
  "192.88.99.0/24", // 6to4 relay anycast (deprecated)
  "192.168.0.0/16", // RFC 1918
  "198.18.0.0/15", // RFC 2544 benchmarking
  "198.51.100.0/24", // TEST-NET-2
  "203.0.113.0/24", // TEST-NET-3
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, incl. broadcast 255.255.255.255
]);

/** Inside global unicast 2000::/3, the parts that are not the public Internet. */
const BLOCKED_V6 = cidrs([
  "2001::/23", // IETF protocol assignments: Teredo, benchmarking (2001:2::/48), ORCHID
  "2001:db8::/32", // documentation
  "3fff::/20", // documentation (RFC 9637)
]);
const GLOBAL_UNICAST = cidrs(["2000::/3"]);

/** IPv6 forms that carry an IPv4 address (judged by that address): where it sits, by prefix. */
const EMBEDDING_V4: [Cidr, number][] = [
  [parseCidr("::/96") as Cidr, 12], // IPv4-compatible (deprecated), also :: and ::1
  [parseCidr("::ffff:0:0:0/96") as Cidr, 12], // SIIT IPv4-translated
  [parseCidr("64:ff9b::/96") as Cidr, 12], // NAT64 well-known prefix (RFC 6052)
  [parseCidr("2002::/16") as Cidr, 2], // 6to4 (RFC 3056)
];

const inAny = (list: Cidr[], ip: IpAddress) => list.some((cidr) => cidrContains(cidr, ip));

/** Whether an address is on the public Internet (IPv4-mapped forms were made IPv4 by parseIp). */
function isPublicAddress(ip: IpAddress): boolean {
  if (ip.version === 4) return !inAny(BLOCKED_V4, ip);
  for (const [prefix, at] of EMBEDDING_V4) {
    if (cidrContains(prefix, ip)) return isPublicAddress({ version: 4, bytes: ip.bytes.slice(at, at + 4) });
  }
  // Everything outside 2000::/3 (unique-local fc00::/7 incl. fd00:ec2::254, link-local fe80::/10,
  // multicast ff00::/8, discard 100::/64, local-use NAT64 64:ff9b:1::/48...) is refused.
  return inAny(GLOBAL_UNICAST, ip) && !inAny(BLOCKED_V6, ip);
}

/** Names that mean this host, its network or its cloud's metadata service. */
function refusedName(host: string): string | null {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return "names this host";
  if (/(^|\.)(internal|local|localdomain|home\.arpa)$/.test(name)) return "is a local or internal name";
  if (!name.includes(".")) return "is not a fully qualified name";
  return null;
}

/** Production: https to public names and public addresses only. */
export const publicEgress: EgressPolicy = {
  refusal(url) {
    if (url.protocol !== "https:") return "must be https";
    if (url.username || url.password) return "must not carry credentials";
    // The URL parser has already made 0x7f.1, 2130706433 and the like into dotted quads.
    const literal = parseIp(url.hostname);
    if (literal) return isPublicAddress(literal) ? null : "is not a public address";
    const name = refusedName(url.hostname);
    return name ? `host ${name}` : null;
  },
  allowsAddress(address) {
    const ip = parseIp(address);
    return ip !== null && isPublicAddress(ip);
  },
};

/** Development and test: any https, and http on loopback for local providers; any address. */
export const localEgress: EgressPolicy = {
  refusal: (url) =>
    url.protocol === "https:" || isLoopbackHttp(url) ? null : "must be https (http only for loopback)",
  allowsAddress: () => true,
};

export function egressPolicyFor(appEnv: "development" | "test" | "production"): EgressPolicy {
  return appEnv === "production" ? publicEgress : localEgress;
}
