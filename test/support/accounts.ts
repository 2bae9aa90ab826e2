import { decodeJwt, decodeProtectedHeader } from "jose";
import { TEST_ADMIN_KEY, type TestApp } from "./app.js";

export const JSON_HEADERS = { "Content-Type": "application/json" };
export const GOOD_PASSWORD = "correct horse battery staple";

type Request = (path: string, init?: RequestInit) => Response | Promise<Response>;

/** Helpers over any app (in-process or a Worker) speaking the HTTP contract. */
export function client(request: Request, adminKey = TEST_ADMIN_KEY) {
  const adminHeaders = { Authorization: `Bearer ${adminKey}`, ...JSON_HEADERS };
  const post = (path: string, body: unknown, headers: Record<string, string> = JSON_HEADERS) =>
    request(path, { method: "POST", headers, body: JSON.stringify(body) });
  return {
    post,
    createTenant: async (slug: string, extra: Record<string, unknown> = {}) => {
      const response = await post("/v1/admin/tenants", { slug, name: slug, ...extra }, adminHeaders);
      if (response.status !== 201) throw new Error(`tenant ${slug}: ${response.status} ${await response.text()}`);
      return (await response.json()) as { id: string; issuer: string };
    },
    signup: (tenant: string, email: string, password = GOOD_PASSWORD, name?: string) =>
      post(`/t/${tenant}/v1/signup`, { email, password, ...(name ? { name } : {}) }),
    login: (tenant: string, email: string, password = GOOD_PASSWORD) =>
      post(`/t/${tenant}/v1/login`, { email, password }),
    forgot: (tenant: string, email: string, headers: Record<string, string> = JSON_HEADERS) =>
      post(`/t/${tenant}/v1/password/forgot`, { email }, headers),
    reset: (tenant: string, token: string, password = GOOD_PASSWORD) =>
      post(`/t/${tenant}/v1/password/reset`, { token, password }),
    verifyEmail: (tenant: string, token: string) => post(`/t/${tenant}/v1/email/verify`, { token }),
    requestVerification: (tenant: string, accessToken: string) =>
      post(`/t/${tenant}/v1/email/verification`, {}, { ...JSON_HEADERS, Authorization: `Bearer ${accessToken}` }),
    changePassword: (tenant: string, accessToken: string, current: string, next: string) =>
      post(
        `/t/${tenant}/v1/password/change`,
        { current_password: current, new_password: next },
        { ...JSON_HEADERS, Authorization: `Bearer ${accessToken}` },
      ),
    changeEmail: (tenant: string, accessToken: string, newEmail: string, password = GOOD_PASSWORD) =>
      post(
        `/t/${tenant}/v1/email/change`,
        { new_email: newEmail, password },
        { ...JSON_HEADERS, Authorization: `Bearer ${accessToken}` },
      ),
    me: (tenant: string, token: string) =>
      request(`/t/${tenant}/v1/me`, { headers: { Authorization: `Bearer ${token}` } }),
    refresh: (tenant: string, refreshToken: unknown, headers: Record<string, string> = JSON_HEADERS) =>
      post(`/t/${tenant}/v1/token/refresh`, { refresh_token: refreshToken }, headers),
    logout: (tenant: string, accessToken: string, body: Record<string, unknown> = {}, headers = {}) =>
      post(`/t/${tenant}/v1/logout`, body, { ...JSON_HEADERS, Authorization: `Bearer ${accessToken}`, ...headers }),
    sessions: (tenant: string, token: string) =>
      request(`/t/${tenant}/v1/sessions`, { headers: { Authorization: `Bearer ${token}` } }),
    deleteSession: (tenant: string, token: string, id: string) =>
      request(`/t/${tenant}/v1/sessions/${id}`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } }),
    revokeSessions: (tenant: string, userId: string) =>
      request(`/t/${tenant}/v1/admin/users/${userId}/revoke-sessions`, { method: "POST", headers: adminHeaders }),
    redirectUris: (tenant: string, uris: unknown) =>
      request(`/t/${tenant}/v1/admin/redirect-uris`, {
        method: "PUT",
        headers: adminHeaders,
        body: JSON.stringify({ redirect_uris: uris }),
      }),
    rotate: (tenant: string) =>
      request(`/t/${tenant}/v1/admin/signing-keys/rotate`, { method: "POST", headers: adminHeaders }),
    jwks: async (tenant: string) =>
      (await (await request(`/t/${tenant}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] },
  };
}

export function appClient(t: TestApp) {
  return client((path, init) => t.app.request(path, init));
}

export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
  session_id: string;
}

export function decode(token: string) {
  return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
}
