/**
 * Work that runs after the response (ledger writes). Tracked so a process
 * can finish it before shutting down, and tests can wait for it.
 */
export class BackgroundTasks {
  private readonly pending = new Set<Promise<unknown>>();

  track(task: Promise<unknown>): void {
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  /** Resolves once everything tracked so far (and anything it started) has settled. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
