import type { Database, NewPasskey } from "../../src/core/ports/database.js";

/** A tenant with a random id and slug (`{prefix}-{8 hex}`) for a repository contract. */
export async function seedTenant(db: Database, prefix: string, at: Date): Promise<string> {
  const id = crypto.randomUUID();
  await db.tenants.createIfAbsent({ id, slug: `${prefix}-${id.slice(0, 8)}`, name: prefix.toUpperCase(), now: at });
  return id;
}

/** A password-less user of the tenant, with opaque sealed columns (the contracts do not open them). */
export async function seedUser(db: Database, tenantId: string, at: Date): Promise<string> {
  const user = await db.users.createIfAbsent({
    id: crypto.randomUUID(),
    tenantId,
    emailIndex: `k1:${crypto.randomUUID()}`,
    emailSealed: "x",
    nameSealed: null,
    emailVerified: false,
    passwordHash: null,
    scopes: [],
    now: at,
  });
  if (!user) throw new Error("The test user was not created.");
  return user.id;
}

/** A passkey of the user with fixed attributes, new ids, created `at`; `overrides` win. */
export function newPasskey(
  owner: { tenantId: string; userId: string },
  at: Date,
  overrides: Partial<NewPasskey> = {},
): NewPasskey {
  return {
    id: crypto.randomUUID(),
    ...owner,
    credentialId: crypto.randomUUID(),
    publicKey: "pQECAyYgASFYIA",
    counter: 0,
    transports: ["internal", "hybrid"],
    deviceType: "multiDevice",
    backedUp: true,
    name: "Laptop ✓",
    now: at,
    ...overrides,
  };
}
