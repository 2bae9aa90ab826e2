/* The shapes of what the authority answers without credentials (API.md v1, "Discovery and keys"; the probes). */

export interface OpenIdConfiguration {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint: string;
  introspection_endpoint: string;
  revocation_endpoint: string;
  userinfo_endpoint: string;
  [field: string]: unknown;
}

export interface Jwk {
  kid: string;
  alg: string;
  use: "sig";
  kty: string;
  [field: string]: unknown;
}

export interface Jwks {
  keys: Jwk[];
}

export interface Health {
  status: "ok";
}

export interface Readiness {
  status: "ok";
  checks: { postgres: "ok"; redis: "ok" };
}
