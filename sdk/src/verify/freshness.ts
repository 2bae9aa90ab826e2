/**
 * How long a fetched JWKS is fresh: `Cache-Control: max-age` less `Age`
 * (RFC 9111 §4.2.1, §4.2.3), clamped to configured bounds so that a
 * misconfigured endpoint can neither make every verification refetch
 * (`max-age=0`, `no-cache`) nor pin keys for a year.
 */

/** When the JWKS says nothing about caching (the authority always does). */
const DEFAULT_TTL_SECONDS = 300;

function maxAgeSeconds(headers: Headers): number | undefined {
  const cacheControl = headers.get("cache-control");
  if (!cacheControl) return undefined;
  let maxAge: number | undefined;
  for (const directive of cacheControl.toLowerCase().split(",")) {
    const [name = "", value] = directive.trim().split("=", 2);
    if (name === "no-store" || name === "no-cache") return 0;
    if (name === "max-age" && value !== undefined) {
      const seconds = Number.parseInt(value.replace(/^"|"$/g, ""), 10);
      if (Number.isFinite(seconds) && seconds >= 0) maxAge = seconds;
    }
  }
  return maxAge;
}

export function freshnessMs(headers: Headers, minSeconds: number, maxSeconds: number): number {
  const maxAge = maxAgeSeconds(headers);
  const age = Number.parseInt(headers.get("age") ?? "0", 10);
  const seconds = maxAge === undefined ? DEFAULT_TTL_SECONDS : maxAge - (Number.isFinite(age) && age > 0 ? age : 0);
  return Math.min(maxSeconds, Math.max(minSeconds, seconds)) * 1000;
}
