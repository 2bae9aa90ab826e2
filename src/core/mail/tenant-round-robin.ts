/** Something waiting for its turn, on behalf of a tenant. */
export interface TenantTurn {
  readonly tenantId: string;
  readonly queuedAt: number;
}

/**
 * Waiting items per tenant, served round-robin: the tenants take turns, one
 * item each, and within a tenant the oldest goes first. A tenant's backlog
 * then delays another tenant's item by at most one item per busy tenant.
 */
export class TenantRoundRobin<T extends TenantTurn> {
  /** Tenants with waiting items, the one to serve next first (a Map keeps insertion order). */
  private readonly queues = new Map<string, T[]>();

  /** A tenant with nothing waiting joins at the back of the turn. */
  add(item: T): void {
    const queue = this.queues.get(item.tenantId);
    if (!queue) {
      this.queues.set(item.tenantId, [item]);
      return;
    }
    // Mostly appended; a retry (queued earlier) goes before the tenant's newer items.
    let at = queue.length;
    while (at > 0 && (queue[at - 1] as T).queuedAt > item.queuedAt) at--;
    queue.splice(at, 0, item);
  }

  /** The oldest item of the tenant whose turn it is; that tenant, if it has more, goes to the back. */
  take(): T | undefined {
    for (const [tenantId, queue] of this.queues) {
      const item = queue.shift();
      this.queues.delete(tenantId);
      if (queue.length > 0) this.queues.set(tenantId, queue);
      return item;
    }
    return undefined;
  }

  remove(item: T): void {
    const queue = this.queues.get(item.tenantId);
    const at = queue?.indexOf(item) ?? -1;
    if (!queue || at === -1) return;
    queue.splice(at, 1);
    if (queue.length === 0) this.queues.delete(item.tenantId);
  }
}
