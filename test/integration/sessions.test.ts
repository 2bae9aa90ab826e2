import { SINGLE_REDIS } from "../support/redis.js";
import { sessionRefreshSuite } from "./sessions.suite.js";

sessionRefreshSuite("on Redis", () => SINGLE_REDIS);
