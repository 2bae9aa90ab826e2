/** Redirect URIs as registered and as a request names them (RFC 9700 §2.1, RFC 8252 §7.3). */
import { describe, expect, it } from "vitest";
import { isRegisteredRedirectUri } from "../../src/core/net/redirect-uri.js";

describe("isRegisteredRedirectUri", () => {
  const registered = ["https://app.example/cb", "http://127.0.0.1/native/cb", "http://[::1]:8400/cb?x=1"];

  it("matches the same string only, for any URI but a loopback IP literal's", () => {
    expect(isRegisteredRedirectUri(registered, "https://app.example/cb")).toBe(true);
    for (const other of ["https://app.example/cb/", "https://APP.example/cb", "https://app.example:443/cb"]) {
      expect(isRegisteredRedirectUri(registered, other), other).toBe(false);
    }
  });

  it("lets a loopback IP literal's port differ, nothing else (RFC 8252 §7.3)", () => {
    for (const port of ["", ":1", ":53211", ":65535"]) {
      expect(isRegisteredRedirectUri(registered, `http://127.0.0.1${port}/native/cb`), port).toBe(true);
    }
    expect(isRegisteredRedirectUri(registered, "http://[::1]:61000/cb?x=1")).toBe(true);
    for (const other of [
      "http://127.0.0.1:65536/native/cb",
      "http://127.0.0.1:1234/native/cb/",
      "http://127.0.0.1:1234/native/cb?more=1",
      "http://127.0.0.2:1234/native/cb",
      "http://localhost:1234/native/cb",
      "https://127.0.0.1:1234/native/cb",
      "http://127.0.0.1:1234@evil.example/native/cb",
      "http://[::1]:61000/cb",
    ]) {
      expect(isRegisteredRedirectUri(registered, other), other).toBe(false);
    }
  });
});
