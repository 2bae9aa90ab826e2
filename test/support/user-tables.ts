/** Every table that holds rows of a user (by `user_id`): what erasing a user must leave nothing personal in. */
export const USER_OWNED_TABLES = [
  "api_keys",
  "user_identities",
  "mfa_totp",
  "passkeys",
  "mfa_recovery_codes",
  "consents",
  "account_tokens",
  "sessions",
];
