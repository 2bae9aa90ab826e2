/**
 * The session suites again, on a local 3-master Redis Cluster: every script
 * of a refresh, a revocation or a bearer check must keep its keys in one
 * hash slot (a cluster answers CROSSSLOT otherwise).
 */
import { redisCluster } from "../support/redis.js";
import { sessionRefreshSuite } from "./sessions.suite.js";
import { sessionRevocationSuite } from "./sessions-revocation.suite.js";

sessionRefreshSuite("on a Redis Cluster (3 masters)", redisCluster);
sessionRevocationSuite("on a Redis Cluster (3 masters)", redisCluster);
