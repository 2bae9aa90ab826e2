import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import type { LookupFunction } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import type { EgressPolicy } from "../../core/net/egress.js";

/** What the guard needs of a resolver: all addresses of a name (node:dns `lookup` with `all`). */
export type ResolveAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * Node's fetch for calls to provider URLs: the name is resolved at connect
 * time by a lookup that refuses the connection when any address the name
 * resolves to is not allowed by the policy, so a name that resolves (or is
 * re-pointed, DNS rebinding) to loopback, a private network or a metadata
 * address is never connected to. Literal addresses never reach a lookup; the
 * core's check of every URL (egressFetch) refuses those.
 *
 * undici (the library behind Node's own fetch) is used for its Agent's
 * `connect.lookup` hook with its own matching `fetch`: Node's global fetch
 * takes no dispatcher of another undici version reliably.
 */
export function createNodeEgressFetch(policy: EgressPolicy, resolve: ResolveAll = dnsLookup): typeof fetch {
  const lookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "", 0);
      const refused = addresses.find((entry) => !policy.allowsAddress(entry.address));
      if (refused || addresses.length === 0) {
        const reason = refused ? `resolves to a refused address (${refused.address})` : "resolves to no address";
        const denied: NodeJS.ErrnoException = new Error(`${hostname} ${reason}`);
        denied.code = "EADDRNOTALLOWED";
        return callback(denied, "", 0);
      }
      // With autoSelectFamily (Node's default) net asks for all addresses; otherwise for one.
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const [first] = addresses as [LookupAddress];
      callback(null, first.address, first.family);
    });
  };
  const dispatcher = new Agent({ connect: { lookup } });
  return ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input instanceof Request ? input.url : input, {
      ...(init as object),
      dispatcher,
    })) as unknown as typeof fetch;
}
