import type { Sealer } from "../crypto/sealing.js";
import { errors } from "../errors.js";
import { needsRehash } from "../passwords/phc.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database, Tenant, UserRecord } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { HashWork, PasswordHasher } from "../ports/password-hasher.js";
import type { Metrics } from "../ports/telemetry.js";
import type { LoginThrottle } from "../rate-limit/login-throttle.js";
import { checkNewEmail, lookupKeysOf, type NormalizedEmail, normalizeEmail } from "./email.js";
import { checkPassword, formerPasswordForm, normalizePassword } from "./password-policy.js";
import { upstreamName } from "./upstream-name.js";
import { EMAIL_INDEX_PURPOSE, emailContext, emailIndexesOf, insertUser, nameContext, twinOf } from "./user-rows.js";

/** API.md's User. */
export interface UserView {
  id: string;
  /** The subject of the user's tokens: equals `id`. */
  sub: string;
  email: string;
  name: string | null;
  email_verified: boolean;
  tenant_id: string;
  created_at: string;
}

/**
 * Verified when no account matches, so unknown emails cost the same argon2id
 * work as wrong passwords (login must not reveal which emails exist). Any
 * string with the current parameters serves; this one matches no password.
 */
const DUMMY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$ZHVtbXktc2FsdC0xMjM0NQ$t1dI3PKTqBtgt+8TGn9zhoL1r+ZCiQk5Dc+1vHhPX4E";

export interface AccountDeps {
  db: Database;
  sealer: Sealer;
  passwords: PasswordHasher;
  clock: Clock;
  random: Random;
  logger: Logger;
  metrics: Metrics;
  throttle: LoginThrottle;
  /** False once the request's client has gone (from the HTTP layer, where the runtime can tell): its waiting hashes are shed. */
  requestWanted?: () => boolean;
}

/** Password accounts: sign-up, credential checks and the user as the API shows it. */
export class AccountService {
  constructor(private readonly deps: AccountDeps) {}

  /** Creates a password account; `email_taken` (409) when the tenant has one for the address. */
  async signup(tenant: Tenant, input: { email: string; password: string; name?: string }): Promise<UserRecord> {
    const { email, problem } = checkNewEmail(input.email);
    if (!email) throw errors.validation([{ path: "email", message: problem }]);
    const problems = await checkPassword(input.password, email.address);
    if (problems.length > 0) throw errors.validation(problems);

    // Rows indexed under an older key version or lookup key are found here; racing sign-ups meet in insert.
    if (await this.findByEmail(tenant, email)) throw errors.emailTaken();
    const passwordHash = await this.deps.passwords.hash(normalizePassword(input.password), this.work(tenant.id));
    // Once more only when this creation gave way to another that gave way too (see insert): none is left.
    for (let attempt = 0; attempt < 2; attempt++) {
      const user = await insertUser(this.deps, tenant, email, { name: input.name, emailVerified: false, passwordHash });
      if (user) {
        this.deps.logger.info("user_signed_up", { tenant_id: tenant.id, user_id: user.id });
        return user;
      }
      if (await this.findByEmail(tenant, email)) break;
    }
    throw errors.emailTaken();
  }

  /**
   * The account an upstream identity signs in to, by email (the linking
   * policy is the caller's): the existing user with that address, or a new
   * one without a password. Resolves null when the address is not usable.
   */
  async findOrCreateFederated(
    tenant: Tenant,
    profile: { email: string; name: string | null; emailVerified: boolean },
  ): Promise<{ user: UserRecord; created: boolean } | null> {
    // As a new address is: a full-width spelling finds the plain mailbox's account but mail goes to it as typed.
    const email = checkNewEmail(profile.email).email;
    if (!email) return null;
    profile = { ...profile, name: upstreamName(profile.name) };
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await this.findByEmail(tenant, email);
      if (existing) return { user: existing, created: false };
      const user = await insertUser(this.deps, tenant, email, { ...profile, passwordHash: null });
      if (user) {
        this.deps.logger.info("user_signed_up", { tenant_id: tenant.id, user_id: user.id, via: "federation" });
        return { user, created: true };
      }
      // Another login created the address meanwhile: read it again.
    }
    return null;
  }

  /** The live user with this address as the service normalises it; null when none, or not an address. */
  async findByAddress(tenant: Tenant, address: string): Promise<UserRecord | null> {
    const email = normalizeEmail(address);
    return email ? this.findByEmail(tenant, email) : null;
  }

  /** As `findByAddress`, and an address today's rule refuses under the key rows made before it carry (login, recovery). */
  async findByTyped(tenant: Tenant, typed: string): Promise<UserRecord | null> {
    return this.deps.db.users.findByEmailIndex(
      tenant.id,
      await emailIndexesOf(this.deps.sealer, lookupKeysOf(typed).searchKeys),
    );
  }

  /** The index a typed address is counted under (login throttle, mail admission): its key's, current key version. */
  countingIndex(typed: string): Promise<string> {
    return this.deps.sealer.blindIndex(lookupKeysOf(typed).key, EMAIL_INDEX_PURPOSE);
  }

  private async findByEmail(tenant: Tenant, email: NormalizedEmail): Promise<UserRecord | null> {
    return this.deps.db.users.findByEmailIndex(tenant.id, await emailIndexesOf(this.deps.sealer, email.searchKeys));
  }

  /**
   * Checks a password login from a client network (see LoginThrottle: 429
   * backoff, 423 lock, before any password work). Unknown email, account
   * without a password and wrong password all fail the same way after the
   * same argon2id work (`invalid_credentials`, 401). A stored hash with
   * weaker parameters than the current ones is replaced on success.
   */
  async authenticate(tenant: Tenant, input: { email: string; password: string }, network: string): Promise<UserRecord> {
    // The throttle counts by the keyed hash of the current lookup key under the
    // current key version (never the address; one counter however the domain is
    // spelled), and counts addresses that cannot exist exactly like real ones.
    // An address today's rules refuse (look-alikes) is still looked up under the
    // key accounts made before those rules carry, so such an account's owner can
    // log in; no new account can get that key.
    const account = await this.countingIndex(input.email);
    const ticket = await this.deps.throttle.admit({ tenantId: tenant.id, account, network });
    const { user, stored, match } = await this.deps.throttle.checking(ticket, async () => {
      const user = await this.findByTyped(tenant, input.email);
      const stored = user?.passwordHash ?? DUMMY_HASH;
      return { user, stored, match: await this.passwordMatch(stored, input.password, this.work(tenant.id)) };
    });
    const ok = match !== null && user?.passwordHash != null;
    if (!user || !ok) {
      this.deps.throttle.failed(ticket, user?.id);
      this.deps.metrics.increment("logins_total", { outcome: "failure" });
      this.deps.logger.info("login_failed", { tenant_id: tenant.id, ...(user ? { user_id: user.id } : {}) });
      throw errors.invalidCredentials();
    }
    await this.deps.throttle.succeeded(ticket);
    // After the password check, so the answer tells nothing to someone without the password.
    if (user.disabledAt) {
      this.deps.logger.info("login_refused_disabled", { tenant_id: tenant.id, user_id: user.id });
      throw errors.accountDisabled();
    }
    this.deps.metrics.increment("logins_total", { outcome: "success" });
    this.deps.logger.info("login_succeeded", { tenant_id: tenant.id, user_id: user.id, method: "password" });
    if (match === "former" || needsRehash(stored)) return this.upgradeHash(tenant, user, stored, input.password);
    return user;
  }

  /**
   * Remakes a verified hash with today's parameters, only over the hash that
   * was verified: a password change meanwhile must not be undone. Should the
   * hash have moved (a change, or another login's remake), the login stands
   * only if the password opens the hash the account now has. The session
   * starts from the hash returned (SessionService.start compares it).
   */
  private async upgradeHash(tenant: Tenant, user: UserRecord, stored: string, password: string): Promise<UserRecord> {
    const work = this.work(tenant.id);
    const upgraded = await this.deps.passwords.hash(normalizePassword(password), work);
    if (await this.deps.db.users.upgradePasswordHash(tenant.id, user.id, stored, upgraded)) {
      this.deps.logger.info("password_hash_upgraded", { tenant_id: tenant.id, user_id: user.id });
      return { ...user, passwordHash: upgraded };
    }
    const now = await this.deps.db.users.findById(tenant.id, user.id);
    if (now?.passwordHash && (await this.passwordMatch(now.passwordHash, password, work)) !== null) return now;
    throw errors.invalidCredentials();
  }

  /**
   * Checks a signed-in user's password before a sensitive change (password,
   * email): throttled like a login of the account from that network, and
   * 401 `invalid_credentials` when wrong (or when the account has none).
   */
  async confirmPassword(tenant: Tenant, user: UserRecord, password: string, network: string): Promise<void> {
    const ticket = await this.deps.throttle.admit({
      tenantId: tenant.id,
      account: await this.throttleKey(user),
      network,
    });
    const match = await this.deps.throttle.checking(ticket, () =>
      this.passwordMatch(user.passwordHash ?? DUMMY_HASH, password, this.work(tenant.id)),
    );
    const ok = match !== null && user.passwordHash !== null;
    if (!ok) {
      this.deps.throttle.failed(ticket, user.id);
      this.deps.logger.info("password_confirmation_failed", { tenant_id: tenant.id, user_id: user.id });
      throw errors.invalidCredentials();
    }
    await this.deps.throttle.succeeded(ticket);
  }

  /**
   * Whether `password` matches the stored hash: in today's form, or in the
   * form hashes made before the NFKC rule hold ("former": the caller remakes
   * the hash). The second check happens only for text the two forms differ
   * on, for known and unknown accounts alike, so its time tells nothing.
   */
  private async passwordMatch(stored: string, password: string, work: HashWork): Promise<"current" | "former" | null> {
    if (await this.deps.passwords.verify(stored, normalizePassword(password), work)) return "current";
    const former = formerPasswordForm(password);
    return former !== null && (await this.deps.passwords.verify(stored, former, work)) ? "former" : null;
  }

  /** The tenant's lane of the hasher (the tenants of a process share its capacity in turn), and whether it is still wanted. */
  private work(tenantId: string): HashWork {
    return { lane: tenantId, wanted: this.deps.requestWanted };
  }

  /** A new password for the user, checked against the policy as at signup (400 names `field`), hashed. */
  async newPasswordHash(user: UserRecord, password: string, field: string): Promise<string> {
    const problems = await checkPassword(password, await this.address(user));
    if (problems.length > 0) throw errors.validation(problems.map((p) => ({ ...p, path: field })));
    return this.deps.passwords.hash(normalizePassword(password), this.work(user.tenantId));
  }

  /** A password reset proved the owner: the account's login lock and failures are forgotten. */
  async clearLoginThrottle(tenant: Tenant, user: UserRecord): Promise<void> {
    await this.deps.throttle.clear({ tenantId: tenant.id, account: await this.throttleKey(user) });
  }

  /**
   * A new address for the user, checked as at signup (400 names `field`):
   * its blind index and its sealed form for this user's row.
   */
  async sealAddress(
    tenant: Tenant,
    userId: string,
    address: string,
    field: string,
  ): Promise<{ address: string; emailIndex: string; emailSealed: string }> {
    const { email, problem } = checkNewEmail(address);
    if (!email) throw errors.validation([{ path: field, message: problem }]);
    return {
      address: email.address,
      emailIndex: await this.deps.sealer.blindIndex(email.lookupKey, EMAIL_INDEX_PURPOSE),
      emailSealed: await this.deps.sealer.seal(email.address, emailContext(tenant.id, userId)),
    };
  }

  /** The index the login throttle counts the account under: its address's, as a login with it counts. */
  private async throttleKey(user: UserRecord): Promise<string> {
    return this.countingIndex(await this.address(user));
  }

  /** The user's address, opened. */
  /** Another account with the address under another key's index than `own` (see twinOf). */
  async twinOf(tenant: Tenant, address: string, own: string): Promise<UserRecord | null> {
    const email = normalizeEmail(address);
    return email ? twinOf(this.deps, tenant.id, email, own) : null;
  }

  address(user: Pick<UserRecord, "id" | "tenantId" | "emailSealed">): Promise<string> {
    return this.deps.sealer.open(user.emailSealed, emailContext(user.tenantId, user.id));
  }

  async findUser(tenant: Tenant, userId: string): Promise<UserRecord | null> {
    return this.deps.db.users.findById(tenant.id, userId);
  }

  /** The user as API.md shows it, with the sealed columns opened. */
  async view(user: UserRecord): Promise<UserView> {
    const { sealer } = this.deps;
    return {
      id: user.id,
      sub: user.id,
      email: await this.address(user),
      name: user.nameSealed ? await sealer.open(user.nameSealed, nameContext(user.tenantId, user.id)) : null,
      email_verified: user.emailVerified,
      tenant_id: user.tenantId,
      created_at: user.createdAt.toISOString(),
    };
  }
}
