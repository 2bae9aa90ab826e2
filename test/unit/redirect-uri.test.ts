/** Redirect URIs as registered, as a request names them (RFC 9700 §2.1, RFC 8252 §7.3) and as a response extends them. */
import { describe, expect, it } from "vitest";
import { isRegisteredRedirectUri, redirectUriProblem, withParams } from "../../src/core/net/redirect-uri.js";
import { errorParams } from "../../src/core/oidc/oauth-error.js";

describe("isRegisteredRedirectUri", () => {
  const registered = ["https://app.example/cb", "http://127.0.0.1/native/cb", "http://[::1]:8400/cb?x=1"];

  it("matches the same string only, for any URI but a loopback IP literal's", () => {
    expect(isRegisteredRedirectUri(registered, "https://app.example/cb", true)).toBe(true);
    for (const other of ["https://app.example/cb/", "https://APP.example/cb", "https://app.example:443/cb"]) {
      expect(isRegisteredRedirectUri(registered, other, true), other).toBe(false);
    }
  });

  it("lets a native app's loopback IP literal's port differ, nothing else (RFC 8252 §7.3)", () => {
    for (const port of ["", ":1", ":53211", ":65535"]) {
      expect(isRegisteredRedirectUri(registered, `http://127.0.0.1${port}/native/cb`, true), port).toBe(true);
    }
    expect(isRegisteredRedirectUri(registered, "http://[::1]:61000/cb?x=1", true)).toBe(true);
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
      expect(isRegisteredRedirectUri(registered, other, true), other).toBe(false);
    }
  });

  it("holds a confidential client's loopback URI to its port too (RFC 9700 §2.1)", () => {
    expect(isRegisteredRedirectUri(registered, "http://127.0.0.1/native/cb", false)).toBe(true);
    expect(isRegisteredRedirectUri(registered, "http://[::1]:8400/cb?x=1", false)).toBe(true);
    for (const other of [
      "http://127.0.0.1:53211/native/cb",
      "http://127.0.0.1:80/native/cb",
      "http://[::1]:61000/cb?x=1",
    ]) {
      expect(isRegisteredRedirectUri(registered, other, false), other).toBe(false);
    }
  });
});

describe("redirectUriProblem", () => {
  it("refuses a query holding a parameter the response adds (RFC 6749 §3.1: each appears once)", () => {
    for (const name of ["code", "state", "error", "error_description", "error_uri", "iss"]) {
      expect(redirectUriProblem(`https://app.example/cb?x=1&${name}=v`), name).toMatch(/the response adds it/);
    }
    expect(redirectUriProblem("https://app.example/cb?flag&v=a%20b&states=1")).toBeNull();
  });
});

describe("withParams", () => {
  it("keeps the registered query as it is and adds the response's after it (RFC 6749 §3.1.2)", () => {
    expect(withParams("https://q.example/cb?flag&v=a%20b", { code: "c 1", state: null, iss: "https://i/t/x" })).toBe(
      "https://q.example/cb?flag&v=a%20b&code=c+1&iss=https%3A%2F%2Fi%2Ft%2Fx",
    );
    expect(withParams("com.example.app:/cb", { state: "s" })).toBe("com.example.app:/cb?state=s");
    expect(withParams("https://q.example/cb?", { state: "s" })).toBe("https://q.example/cb?state=s");
    expect(withParams("https://q.example/cb?x=1", { state: null })).toBe("https://q.example/cb?x=1");
  });

  it("keeps an error's description within the characters RFC 6749 §4.1.2.1 allows, and short", () => {
    const upstream = `status "urn:x\\ä"\n${"y".repeat(1_000)}`;
    const said = new URL(withParams("https://q.example/cb", errorParams("access_denied", upstream))).searchParams;
    expect(said.get("error_description")).toMatch(/^status 'urn:x\/\?'\?y+\.\.\.$/);
    expect(said.get("error_description")).toHaveLength(300);
  });
});
