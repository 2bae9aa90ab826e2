import type { Config } from "../config.js";
import type { Clock, Random } from "../core/ports/clock.js";
import type { Database, Tenant } from "../core/ports/database.js";
import type { KeyValueStore } from "../core/ports/key-value.js";
import type { Logger } from "../core/ports/logger.js";
import type { TenantService } from "../core/tenants.js";

/** What an entry hands to createApp: configuration and the adapters it chose. */
export interface AppDeps {
  config: Config;
  db: Database;
  kv: KeyValueStore;
  clock: Clock;
  random: Random;
  logger: Logger;
}

/** Services built once from the deps and shared by every request. */
export interface Services extends AppDeps {
  tenants: TenantService;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    services: Services;
    tenant: Tenant;
  };
}
