/** punycode.js (RFC 3492), by its CommonJS file: the bare name `punycode` is Node's deprecated built-in. */
declare module "punycode/punycode.js" {
  const punycode: {
    /** A domain with its A-labels (`xn--…`) decoded; other labels unchanged. */
    toUnicode(domain: string): string;
  };
  export default punycode;
}
