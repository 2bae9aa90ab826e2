/**
 * Every request of the benchmark goes to 127.0.0.1 and nowhere else: the
 * load generator, the setup calls and the checks all pass their URL through
 * `loopbackOnly` first. Anything else (another address, a name, even
 * `localhost`, whose resolution is not ours to trust) is refused.
 */
export function loopbackOnly(target: string | URL): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`refusing to load ${String(target)}: not a URL`);
  }
  if (url.protocol !== "http:") throw new Error(`refusing to load ${url.href}: only http://127.0.0.1 is a target`);
  if (url.hostname !== "127.0.0.1") throw new Error(`refusing to load ${url.href}: only 127.0.0.1 is a target`);
  if (url.username || url.password) throw new Error(`refusing to load ${url.origin}: credentials in the URL`);
  return url;
}
