import { createNodeArgon2Hasher } from "../../src/adapters/passwords/node-argon2.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { passwordHasherContract } from "./password-hasher.contract.js";

passwordHasherContract("native @node-rs/argon2 (Node)", async () => createNodeArgon2Hasher(cryptoRandom));
