import { SINGLE_REDIS } from "../support/redis.js";
import { sessionRevocationSuite } from "./sessions-revocation.suite.js";

sessionRevocationSuite("on Redis", () => SINGLE_REDIS);
