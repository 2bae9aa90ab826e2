/**
 * Paths under `/t/{tenant}` that answer with HTML (the hosted pages and the
 * authorization and logout endpoints): their failures are pages too, never
 * problem+json a browser would show raw. The passkey options routes the
 * pages' script reads are not among them: it gets problem+json.
 */
const PAGE =
  /^\/t\/[^/]+\/(?:authorize|login(?:\/mfa(?:\/passkey|\/enroll(?:\/continue)?)?|\/passkey)?|signup|consent|logout|error|password\/forgot|password\/reset(?:\/done)?|email\/verify(?:\/done)?|account\/security(?:\/totp(?:\/confirm)?|\/factors\/remove|\/passkeys(?:\/rename)?)?|login\/federated\/[^/]+(?:\/[^/]+)?)$/;

export const isPagePath = (path: string) => PAGE.test(path);
