/** The relying-party suite against the built Worker in workerd, served over HTTP on a loopback port. */
import { freePort } from "../support/ports.js";
import { startWorkerHarness } from "../support/runtime-worker.js";
import { relyingPartySuite } from "./relying-parties.contract.js";

relyingPartySuite("the built Worker in workerd", async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const harness = await startWorkerHarness({ PUBLIC_URL: base });
  await harness.start({}, { port }).catch(async (error) => {
    await harness.close();
    throw error;
  });
  return { base, adminKey: harness.adminKey, close: () => harness.close() };
});
