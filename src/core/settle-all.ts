/**
 * Waits for every write made side by side, then throws the first failure.
 * `Promise.all` would answer at the first failure while the others still
 * run: the response would claim nothing about them, and a Worker may cancel
 * what is still running once it has answered.
 */
export async function settleAll(writes: readonly unknown[]): Promise<void> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) throw failed.reason;
}
