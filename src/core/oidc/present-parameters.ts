/**
 * RFC 6749 §3.1 and §3.2: "Parameters sent without a value MUST be treated as
 * if they were omitted from the request." Libraries that send every field
 * (`client_secret=` for a public client, `state=`) rely on it.
 */
export function presentParameters(params: URLSearchParams): URLSearchParams {
  return new URLSearchParams([...params].filter(([, value]) => value !== ""));
}
