import { describe, expect, it } from "vitest";
import {
  CATALOGUE,
  catalogueEntry,
  discordProfile,
  type FetchJson,
  githubProfile,
  oidcProfile,
  PROVIDER_NAME,
  ProfileError,
} from "../../src/core/federation/catalogue.js";

/*
 * Recorded-style provider answers, modelled on the bodies the providers
 * document (GitHub REST "Get the authenticated user" / "List email addresses
 * for the authenticated user", Discord "Get Current User", and the ID token
 * claims of Google, Apple, Microsoft Entra ID v2.0 and GitLab).
 */

const TOKEN = "gho_16C7e42F292c6912E7710c838347Ae178B4a";

/** GET https://api.github.com/user for a user who hides their email and has a display name. */
const githubUser = {
  login: "octocat",
  id: 583231,
  node_id: "MDQ6VXNlcjU4MzIzMQ==",
  avatar_url: "https://avatars.githubusercontent.com/u/583231?v=4",
  gravatar_id: "",
  url: "https://api.github.com/users/octocat",
  html_url: "https://github.com/octocat",
  followers_url: "https://api.github.com/users/octocat/followers",
  following_url: "https://api.github.com/users/octocat/following{/other_user}",
  gists_url: "https://api.github.com/users/octocat/gists{/gist_id}",
  starred_url: "https://api.github.com/users/octocat/starred{/owner}{/repo}",
  subscriptions_url: "https://api.github.com/users/octocat/subscriptions",
  organizations_url: "https://api.github.com/users/octocat/orgs",
  repos_url: "https://api.github.com/users/octocat/repos",
  events_url: "https://api.github.com/users/octocat/events{/privacy}",
  received_events_url: "https://api.github.com/users/octocat/received_events",
  type: "User",
  user_view_type: "private",
  site_admin: false,
  name: "The Octocat",
  company: "@github",
  blog: "https://github.blog",
  location: "San Francisco",
  email: null,
  hireable: null,
  bio: null,
  twitter_username: null,
  notification_email: null,
  public_repos: 8,
  public_gists: 8,
  followers: 17_742,
  following: 9,
  created_at: "2011-01-25T18:44:36Z",
  updated_at: "2025-09-22T11:25:21Z",
  private_gists: 0,
  total_private_repos: 0,
  owned_private_repos: 0,
  disk_usage: 10_108,
  collaborators: 0,
  two_factor_authentication: true,
  plan: { name: "free", space: 976_562_499, collaborators: 0, private_repos: 10_000 },
};

const noreply = { email: "583231+octocat@users.noreply.github.com", primary: false, verified: true, visibility: null };

/** GET https://api.github.com/user/emails variants. */
const githubEmails = {
  primaryVerified: [
    { email: "octocat@github.com", primary: true, verified: true, visibility: "private" },
    { email: "octo@example.org", primary: false, verified: true, visibility: null },
    noreply,
  ],
  primaryUnverified: [
    { email: "new-address@example.com", primary: true, verified: false, visibility: "public" },
    { email: "octo@example.org", primary: false, verified: false, visibility: null },
    { email: "octocat@github.com", primary: false, verified: true, visibility: null },
  ],
  noneVerified: [
    { email: "new-address@example.com", primary: true, verified: false, visibility: "private" },
    { email: "octo@example.org", primary: false, verified: false, visibility: null },
  ],
  empty: [],
};

/** GET https://discord.com/api/users/@me (scopes identify + email). */
const discordUser = {
  id: "80351110224678912",
  username: "nelly",
  discriminator: "0",
  global_name: "Nelly",
  avatar: "8342729096ea3675442027381ff50dfe",
  bot: false,
  system: false,
  mfa_enabled: true,
  banner: null,
  accent_color: 16_711_680,
  locale: "en-US",
  verified: true,
  email: "nelly@discord.com",
  flags: 64,
  premium_type: 1,
  public_flags: 64,
  avatar_decoration_data: null,
  collectibles: null,
  primary_guild: null,
  clan: null,
};

/** Google ID token claims. */
const googleClaims = {
  iss: "https://accounts.google.com",
  azp: "1234987819200.apps.googleusercontent.com",
  aud: "1234987819200.apps.googleusercontent.com",
  sub: "10769150350006150715113082367",
  at_hash: "HK6E_P6Dh8Y93mRNtsDB1Q",
  hd: "example.com",
  email: "jsmith@example.com",
  email_verified: true,
  name: "Jane Smith",
  picture: "https://lh3.googleusercontent.com/a/ACg8ocK",
  given_name: "Jane",
  family_name: "Smith",
  nonce: "0394852-3190485-2490358",
  iat: 1353601026,
  exp: 1353604926,
};

/** Apple ID token claims (Hide My Email relay; booleans as strings; no name claim). */
const appleClaims = {
  iss: "https://appleid.apple.com",
  aud: "com.example.web",
  exp: 1768000000,
  iat: 1767913600,
  sub: "001456.8f2c0e1c7bb24a5db4b3a7f4b2d1e6c9.1322",
  nonce: "n-0S6_WzA2Mj",
  nonce_supported: true,
  c_hash: "QzLqFZm5x8R0n7QWQ-hQzA",
  email: "dr7wqk2h4m@privaterelay.appleid.com",
  email_verified: "true",
  is_private_email: "true",
  auth_time: 1767913598,
  real_user_status: 2,
};

/** Microsoft Entra ID v2.0 ID token claims, with the optional `email` claim. */
const microsoftClaims = {
  aud: "6cb04018-a3f5-46a7-b995-940c78f5aef3",
  iss: "https://login.microsoftonline.com/9122040d-6c67-4c5b-b112-36a304b66dad/v2.0",
  iat: 1536361411,
  nbf: 1536361411,
  exp: 1536365311,
  aio: "AXQAi/8IAAAAqxsuB+R4D2rFQqOETO4YdXbLD9kZ8xfXadeAM0Q2NkNT5izfg3uwbWSXhuSSj6UT5hy2D6WqApB5jKA6ZgZ9k/SU27uV9cetXfLOtpNttgk5DcBtk+LLstz/Jg+gYRmv9bUU4XlphTc6C86Jmj1FCw==",
  email: "AbeLi@microsoft.com",
  name: "Abe Lincoln",
  nonce: "123523",
  oid: "00000000-0000-0000-66f3-3332eca7ea81",
  preferred_username: "AbeLi@microsoft.com",
  rh: "I",
  sub: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
  tid: "9122040d-6c67-4c5b-b112-36a304b66dad",
  uti: "fqiBqXLPj0eQa82S-IYFAA",
  ver: "2.0",
};

/** GitLab.com ID token claims (scopes openid email profile). */
const gitlabClaims = {
  iss: "https://gitlab.com",
  sub: "1234567",
  aud: "f5d1d6a5b4c3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7",
  exp: 1767913720,
  iat: 1767913600,
  auth_time: 1767913590,
  sub_legacy: "2ab1d9d5b3c2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6",
  name: "Ada Lovelace",
  nickname: "ada",
  preferred_username: "ada",
  email: "ada@example.com",
  email_verified: true,
  website: "https://ada.example.com",
  profile: "https://gitlab.com/ada",
  picture: "https://gitlab.com/uploads/-/system/user/avatar/1234567/avatar.png",
  groups_direct: ["analytical-engines"],
};

/** A fake FetchJson answering by URL (as a provider API would), recording each call. */
function fakeFetch(routes: Record<string, unknown>) {
  const calls: Array<[string, string]> = [];
  const fetchJson: FetchJson = async (url, accessToken) => {
    calls.push([url, accessToken]);
    if (!(url in routes)) throw new Error(`unexpected GET ${url}`);
    return structuredClone(routes[url]);
  };
  return { fetchJson, calls };
}

const GITHUB_USER = "https://api.github.com/user";
const GITHUB_EMAILS = "https://api.github.com/user/emails";
const DISCORD_ME = "https://discord.com/api/users/@me";

const github = (user: unknown, emails: unknown) => fakeFetch({ [GITHUB_USER]: user, [GITHUB_EMAILS]: emails });

describe("GitHub profile mapping", () => {
  it("reads /user then /user/emails with the bearer token, and takes the primary verified address", async () => {
    const { fetchJson, calls } = github(githubUser, githubEmails.primaryVerified);
    expect(await githubProfile(fetchJson, TOKEN)).toEqual({
      subject: "583231",
      email: "octocat@github.com",
      emailVerified: true,
      name: "The Octocat",
    });
    expect(calls).toEqual([
      [GITHUB_USER, TOKEN],
      [GITHUB_EMAILS, TOKEN],
    ]);
  });

  it("turns the numeric id into a string", async () => {
    const { fetchJson } = github({ ...githubUser, id: 1 }, githubEmails.primaryVerified);
    const profile = await githubProfile(fetchJson, TOKEN);
    expect(profile.subject).toBe("1");
    expect(typeof profile.subject).toBe("string");
  });

  it("falls back to another verified address when the primary one is unverified", async () => {
    const { fetchJson } = github(githubUser, githubEmails.primaryUnverified);
    expect(await githubProfile(fetchJson, TOKEN)).toEqual({
      subject: "583231",
      email: "octocat@github.com",
      emailVerified: true,
      name: "The Octocat",
    });
  });

  it("takes the primary verified address even when a noreply address is listed first", async () => {
    const emails = [noreply, ...githubEmails.primaryVerified.filter((e) => e !== noreply)];
    const { fetchJson } = github(githubUser, emails);
    expect((await githubProfile(fetchJson, TOKEN)).email).toBe("octocat@github.com");
  });

  it("claims no verified address when none is verified, keeping the public profile email unverified", async () => {
    const { fetchJson } = github({ ...githubUser, email: "octocat@github.com" }, githubEmails.noneVerified);
    expect(await githubProfile(fetchJson, TOKEN)).toEqual({
      subject: "583231",
      email: "octocat@github.com",
      emailVerified: false,
      name: "The Octocat",
    });
  });

  it("has no email at all when the list is empty and the profile email is hidden", async () => {
    const { fetchJson } = github(githubUser, githubEmails.empty);
    expect(await githubProfile(fetchJson, TOKEN)).toEqual({
      subject: "583231",
      email: null,
      emailVerified: false,
      name: "The Octocat",
    });
  });

  it("treats a non-array /user/emails answer as no addresses", async () => {
    const { fetchJson } = github(githubUser, { message: "Not Found", status: "404" });
    expect(await githubProfile(fetchJson, TOKEN)).toMatchObject({ email: null, emailVerified: false });
  });

  it("uses the login when the user has no display name", async () => {
    const { fetchJson } = github({ ...githubUser, name: null }, githubEmails.primaryVerified);
    expect((await githubProfile(fetchJson, TOKEN)).name).toBe("octocat");
    const empty = github({ ...githubUser, name: "" }, githubEmails.primaryVerified);
    expect((await githubProfile(empty.fetchJson, TOKEN)).name).toBe("octocat");
  });

  it("throws ProfileError without an id, before asking for the addresses", async () => {
    const { id: _id, ...anonymous } = githubUser;
    const { fetchJson, calls } = github(anonymous, githubEmails.primaryVerified);
    await expect(githubProfile(fetchJson, TOKEN)).rejects.toBeInstanceOf(ProfileError);
    expect(calls).toEqual([[GITHUB_USER, TOKEN]]);
    for (const id of [null, "", 0.5, Number.MAX_SAFE_INTEGER + 2, { id: 1 }]) {
      const bad = github({ ...githubUser, id }, githubEmails.primaryVerified);
      await expect(githubProfile(bad.fetchJson, TOKEN), String(id)).rejects.toBeInstanceOf(ProfileError);
    }
  });
});

describe("Discord profile mapping", () => {
  it("reads /users/@me with the bearer token and keeps the snowflake id as given", async () => {
    const { fetchJson, calls } = fakeFetch({ [DISCORD_ME]: discordUser });
    expect(await discordProfile(fetchJson, TOKEN)).toEqual({
      subject: "80351110224678912",
      email: "nelly@discord.com",
      emailVerified: true,
      name: "Nelly",
    });
    expect(calls).toEqual([[DISCORD_ME, TOKEN]]);
  });

  it("does not vouch for an unverified address", async () => {
    const { fetchJson } = fakeFetch({ [DISCORD_ME]: { ...discordUser, verified: false } });
    expect(await discordProfile(fetchJson, TOKEN)).toEqual({
      subject: "80351110224678912",
      email: "nelly@discord.com",
      emailVerified: false,
      name: "Nelly",
    });
  });

  it("has no email without the email scope, even for a verified account", async () => {
    const { email: _email, ...withoutEmail } = discordUser;
    const { fetchJson } = fakeFetch({ [DISCORD_ME]: withoutEmail });
    expect(await discordProfile(fetchJson, TOKEN)).toEqual({
      subject: "80351110224678912",
      email: null,
      emailVerified: false,
      name: "Nelly",
    });
    const nullEmail = fakeFetch({ [DISCORD_ME]: { ...discordUser, email: null } });
    expect(await discordProfile(nullEmail.fetchJson, TOKEN)).toMatchObject({ email: null, emailVerified: false });
  });

  it("uses the username when there is no global display name", async () => {
    const { fetchJson } = fakeFetch({ [DISCORD_ME]: { ...discordUser, global_name: null } });
    expect((await discordProfile(fetchJson, TOKEN)).name).toBe("nelly");
  });

  it("throws ProfileError without an id", async () => {
    const { id: _id, ...anonymous } = discordUser;
    await expect(discordProfile(fakeFetch({ [DISCORD_ME]: anonymous }).fetchJson, TOKEN)).rejects.toBeInstanceOf(
      ProfileError,
    );
    await expect(
      discordProfile(fakeFetch({ [DISCORD_ME]: { ...discordUser, id: "" } }).fetchJson, TOKEN),
    ).rejects.toBeInstanceOf(ProfileError);
  });
});

describe("OpenID Connect claims mapping", () => {
  it("Google: email_verified is a boolean", () => {
    expect(oidcProfile(googleClaims, "google")).toEqual({
      subject: "10769150350006150715113082367",
      email: "jsmith@example.com",
      emailVerified: true,
      name: "Jane Smith",
    });
    expect(oidcProfile({ ...googleClaims, email_verified: false }, "google").emailVerified).toBe(false);
  });

  it('Apple: email_verified is the string "true"; there is no name claim', () => {
    expect(oidcProfile(appleClaims, "apple")).toEqual({
      subject: "001456.8f2c0e1c7bb24a5db4b3a7f4b2d1e6c9.1322",
      email: "dr7wqk2h4m@privaterelay.appleid.com",
      emailVerified: true,
      name: null,
    });
    expect(oidcProfile({ ...appleClaims, email_verified: "false" }, "apple").emailVerified).toBe(false);
    expect(oidcProfile({ ...appleClaims, email_verified: true }, "apple").emailVerified).toBe(true);
  });

  it("Microsoft Entra ID: the email claim is never taken as verified", () => {
    expect(oidcProfile(microsoftClaims, "microsoft")).toEqual({
      subject: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
      email: "AbeLi@microsoft.com",
      emailVerified: false,
      name: "Abe Lincoln",
    });
    // Not even if a claim says so.
    expect(oidcProfile({ ...microsoftClaims, email_verified: true }, "microsoft").emailVerified).toBe(false);
    expect(oidcProfile({ ...microsoftClaims, email_verified: "true" }, "microsoft").emailVerified).toBe(false);
  });

  it("GitLab", () => {
    expect(oidcProfile(gitlabClaims, "gitlab")).toEqual({
      subject: "1234567",
      email: "ada@example.com",
      emailVerified: true,
      name: "Ada Lovelace",
    });
  });

  it("falls back to preferred_username for the name, and has no email when none is claimed", () => {
    const { name: _name, email: _email, email_verified: _verified, ...bare } = gitlabClaims;
    expect(oidcProfile(bare, "gitlab")).toEqual({ subject: "1234567", email: null, emailVerified: false, name: "ada" });
  });

  it('only counts true or "true" as verified', () => {
    for (const email_verified of [undefined, null, false, "false", "True", 1, "1", "yes"]) {
      expect(oidcProfile({ ...googleClaims, email_verified }, "google").emailVerified, String(email_verified)).toBe(
        false,
      );
    }
  });

  it("throws ProfileError without a subject", () => {
    const { sub: _sub, ...anonymous } = googleClaims;
    expect(() => oidcProfile(anonymous, "google")).toThrow(ProfileError);
    expect(() => oidcProfile({ ...googleClaims, sub: "" }, "google")).toThrow(ProfileError);
    expect(() => oidcProfile({ ...googleClaims, sub: 1234 }, "google")).toThrow(ProfileError);
  });
});

describe("Provider catalogue", () => {
  const https = (url: string | undefined) => {
    expect(url).toBeDefined();
    expect(new URL(url ?? "").protocol).toBe("https:");
  };

  it("has https endpoints and issuers throughout", () => {
    expect(Object.keys(CATALOGUE).sort()).toEqual(["apple", "discord", "github", "gitlab", "google", "microsoft"]);
    for (const [name, entry] of Object.entries(CATALOGUE)) {
      expect(PROVIDER_NAME.test(name), name).toBe(true);
      expect(entry.scopes.length, name).toBeGreaterThan(0);
      if (entry.kind === "oauth2") {
        https(entry.issuer);
        https(entry.authorizationEndpoint);
        https(entry.tokenEndpoint);
        expect(new URL(entry.authorizationEndpoint).host, name).toBe(new URL(entry.issuer).host);
      } else {
        expect(entry.scopes, name).toContain("openid");
        if (name !== "microsoft") https(entry.issuer);
      }
    }
  });

  it("names the well-known issuers and maps the OAuth 2.0 providers with their profile readers", () => {
    expect(CATALOGUE.google).toMatchObject({ kind: "oidc", issuer: "https://accounts.google.com" });
    expect(CATALOGUE.apple).toMatchObject({
      kind: "oidc",
      issuer: "https://appleid.apple.com",
      authorizationParams: { response_mode: "form_post" },
    });
    expect(CATALOGUE.gitlab).toMatchObject({ kind: "oidc", issuer: "https://gitlab.com" });
    // Entra ID issuers are per directory: the tenant gives its own.
    expect(CATALOGUE.microsoft).toEqual({ kind: "oidc", scopes: ["openid", "email", "profile"] });
    expect(CATALOGUE.github).toMatchObject({ kind: "oauth2", profile: githubProfile });
    expect(CATALOGUE.github?.scopes).toContain("user:email");
    expect(CATALOGUE.discord).toMatchObject({ kind: "oauth2", profile: discordProfile });
    expect(CATALOGUE.discord?.scopes).toEqual(expect.arrayContaining(["identify", "email"]));
  });

  it("answers catalogue names with their entry and any other name with a generic OIDC entry", () => {
    for (const name of Object.keys(CATALOGUE)) expect(catalogueEntry(name)).toBe(CATALOGUE[name]);
    expect(catalogueEntry("my-corp")).toEqual({ kind: "oidc", scopes: ["openid", "email", "profile"] });
    expect(catalogueEntry("okta")).toEqual({ kind: "oidc", scopes: ["openid", "email", "profile"] });
  });

  it("does not take Object.prototype members for catalogue entries", () => {
    // "constructor" is a valid provider name (PROVIDER_NAME accepts it).
    expect(PROVIDER_NAME.test("constructor")).toBe(true);
    for (const name of ["constructor", "toString", "hasOwnProperty", "__proto__", "valueOf"]) {
      expect(catalogueEntry(name), name).toEqual({ kind: "oidc", scopes: ["openid", "email", "profile"] });
    }
  });

  it("accepts lower-case URL-safe provider names of 1 to 63 characters", () => {
    for (const name of ["google", "my-corp", "a", "0", "okta-2", "entra-9122040d", "a".repeat(63)]) {
      expect(PROVIDER_NAME.test(name), name).toBe(true);
    }
  });

  it("refuses empty, upper-case, punctuated, leading-hyphen, over-long and multi-line names", () => {
    for (const name of [
      "",
      "Google",
      "MY-CORP",
      "-corp",
      "my_corp",
      "my.corp",
      "my corp",
      "my/corp",
      "../etc",
      "corp%20x",
      "ümlaut",
      "a".repeat(64),
      "corp\n",
      "\ncorp",
      "corp\nevil",
    ]) {
      expect(PROVIDER_NAME.test(name), JSON.stringify(name)).toBe(false);
    }
  });
});
