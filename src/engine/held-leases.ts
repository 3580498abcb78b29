/**
 * The leases this replica holds on outbox messages, as far as it knows: a claim gives one, a
 * heartbeat extends those still valid when its write ended. A replica that stalled (GC, a
 * starved CPU) past a lease may find the message taken by another replica, which would send
 * it too: so a message is sent only while a third of its lease is left (one heartbeat
 * period), and otherwise claimed again first.
 */
export class HeldLeases {
  private readonly until = new Map<number, number>();

  constructor(private readonly leaseMs: number) {}

  claimed(ids: readonly number[], until: number): void {
    for (const id of ids) this.until.set(id, until);
  }

  /**
   * A heartbeat's write ended at `now` and set our leases to `until`: it extended only those
   * that had not lapsed by then (a lapsed one may be another replica's already). Lapsed ones
   * are forgotten. The store overwrites the lease with the heartbeat's value, which was
   * computed before a claim that may have committed just ahead of the write: so `until` is
   * what the store holds now, even when it is earlier than the claim's.
   */
  renewed(until: number, now: number): void {
    for (const [id, held] of this.until) {
      if (held > now) this.until.set(id, until);
      else this.until.delete(id);
    }
  }

  /** Whether a send that starts now ends, most likely, before anyone else may take the message. */
  maySend(id: number, now: number): boolean {
    return (this.until.get(id) ?? 0) - now > this.leaseMs / 3;
  }

  released(id: number): void {
    this.until.delete(id);
  }
}
