/**
 * Paths under `/t/{tenant}` that answer with HTML (the hosted pages and the
 * authorization and logout endpoints): their failures are pages too, never
 * problem+json a browser would show raw.
 */
const PAGE =
  /^\/t\/[^/]+\/(?:authorize|login|signup|consent|logout|error|password\/forgot|password\/reset|email\/verify|account\/security(?:\/totp(?:\/confirm)?|\/factors\/remove)?|login\/federated\/[^/]+(?:\/[^/]+)?)$/;

export const isPagePath = (path: string) => PAGE.test(path);
