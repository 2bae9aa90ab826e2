export interface IdleCandidate {
  /** Requests handed to the app whose response has not finished. */
  unanswered: number;
  /** When it last became idle, as a count of such moments. */
  idleSince: number;
  gone: boolean;
}

/**
 * Connections in the order they became idle. A request only appends (two
 * array pushes), so nothing is removed per request: an entry goes stale once
 * its connection is busy again, idle anew or gone, and stale entries are
 * skipped when a slot is wanted and dropped, with those taken, once the
 * order holds more than twice the connections open.
 */
export class IdleOrder<C extends IdleCandidate> {
  #connections: C[] = [];
  #moments: number[] = [];
  #head = 0;

  push(connection: C, live: number) {
    this.#connections.push(connection);
    this.#moments.push(connection.idleSince);
    // The whole array, taken ones included: a full server's newcomers each take one and add one.
    if (this.#connections.length > 2 * live + 64) this.#compact();
  }

  /** Entries held, current or stale. */
  get held() {
    return this.#connections.length;
  }

  /** The connection idle the longest, taken out of the order. */
  takeOldest(): C | undefined {
    while (this.#head < this.#connections.length) {
      const i = this.#head++;
      if (this.#current(i)) return this.#connections[i];
    }
    return undefined;
  }

  #current(i: number) {
    const connection = this.#connections[i] as C;
    return !connection.gone && connection.unanswered === 0 && connection.idleSince === this.#moments[i];
  }

  #compact() {
    const connections: C[] = [];
    const moments: number[] = [];
    for (let i = this.#head; i < this.#connections.length; i++) {
      if (!this.#current(i)) continue;
      connections.push(this.#connections[i] as C);
      moments.push(this.#moments[i] as number);
    }
    this.#connections = connections;
    this.#moments = moments;
    this.#head = 0;
  }
}
