/**
 * Redirect URIs that must not match a registration of
 * `https://app.example.com/callback` or `com.example.app:/cb`: other hosts,
 * userinfo and backslash tricks, scheme, port, case, path, query and
 * fragment changes, percent-encoding, controls, and other schemes (RFC 9700
 * §2.1 and §4.1: exact string comparison only).
 */
export const REDIRECT_VARIANTS = [
  "https://evil.example/callback",
  "https://app.example.com.evil.example/callback",
  "https://app.example.com@evil.example/callback",
  "https://evil.example@app.example.com/callback",
  "//evil.example/callback",
  "https://app.example.com\\@evil.example/callback",
  "https:\\\\evil.example/callback",
  "http://app.example.com/callback",
  "https://app.example.com/callback/",
  "https://app.example.com/callback/../evil",
  "https://app.example.com/callback?next=https://evil.example",
  "https://app.example.com/callback#frag",
  "https://app.example.com/%63allback",
  "https://APP.example.com/callback",
  "https://app.example.com:443/callback",
  "https://app.example.com/callback%00",
  "javascript:alert(1)//https://app.example.com/callback",
  "data:text/html,https://app.example.com/callback",
  " https://app.example.com/callback",
  "com.example.app:/cb/../../evil",
  "",
];
