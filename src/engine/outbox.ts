import { ErrorCodes, messageOf } from '../core/errors';
import type {
  IncidentLog,
  IncidentRecord,
  MessageRef,
  MessageRefStore,
  OutboxItem,
  OutboxQueue,
} from '../store/incident-store';
import { DeliveryRound } from './delivery-round';
import type { EngineMetrics } from './engine-metrics';
import { HeldLeases } from './held-leases';
import type { MessageSink, OutMessage } from './messages';
import { defaultBackoff, retryAfterMs } from './retry-delay';

export interface OutboxDeps {
  /** The outbox, the incident (read for its channel), and the channels' refs (read by a round, written with its mark). */
  store: OutboxQueue & Pick<IncidentLog, 'get'> & Pick<MessageRefStore, 'getRef'>;
  sink: MessageSink;
  /** This replica: the owner of the messages it is delivering. */
  owner: string;
  leaseMs: number;
  now: () => Date;
  metrics: EngineMetrics;
  onError: (err: unknown, where: string, incidentId?: string) => void;
  /** Deliveries tried per message before it is given up on (it stays in the transcript). */
  maxAttempts?: number;
  /** Delay before retry n (1-based) when the platform did not say (Retry-After). */
  backoffMs?: (attempt: number) => number;
}

/** How many incidents one background round claims. */
const ClaimLimit = 20;

/**
 * Delivers the chat messages the store queued with each transition, in order per incident,
 * from any replica: an incident's pending messages are claimed together under a lease, so
 * only one replica delivers them. A failure (Slack or Teams 429/5xx, a network error) keeps
 * the message and everything after it for a later round, after Retry-After or a backoff.
 */
export class Outbox {
  private readonly deliveries = new Map<string, Promise<void>>();
  /**
   * Incidents to deliver once more when their running delivery ends, with the newest record a
   * transition saved meanwhile (if any): that round then reads the incident only when the
   * record cannot serve (see deliverInOrder), instead of at every round.
   */
  private readonly again = new Map<string, IncidentRecord | undefined>();
  /**
   * Messages the platform accepted, here. A claim read just before our mark can still list
   * one; it is marked again, never sent again.
   */
  private readonly accepted = new Set<number>();
  /** Accepted messages whose mark failed (the database was away), and their refs: written at the next round. */
  private readonly unmarked = new Set<number>();
  private readonly unmarkedRefs = new Map<string, string>();
  /** Claims this process took per pending message; more claims in the store mean someone else held it. */
  private readonly ourClaims = new Map<number, number>();
  /** Messages whose delivery failed here: the platform may have taken it all the same (a timeout). */
  private readonly attempted = new Set<number>();
  /** Incidents whose last delivery round failed here. */
  private readonly failing = new Set<string>();
  private readonly leases: HeldLeases;
  private closed = false;

  constructor(private readonly deps: OutboxDeps) {
    this.leases = new HeldLeases(deps.leaseMs);
  }

  /**
   * Delivers one incident's due messages now (right after its transition was saved, whose
   * record saves reading it again). When the incident is already being delivered here, that
   * delivery goes round once more.
   */
  flush(incidentId: string, saved?: IncidentRecord): Promise<void> {
    return this.track(incidentId, () => this.claimAndDeliver(incidentId, saved), saved);
  }

  /** One background round: messages due for a retry, or left by a replica that stopped. */
  async poll(): Promise<void> {
    if (this.closed) return;
    await this.markAccepted();
    const claim = this.claim();
    const items = this.noteClaims(
      await this.deps.store.claimOutbox({ ...claim, limit: ClaimLimit }),
      claim.until,
    );
    await Promise.all(
      [...groupByIncident(items)].map(([incidentId, group]) =>
        this.track(incidentId, () => this.deliverInOrder(group)),
      ),
    );
  }

  /** Whether a delivery is in progress here. */
  get busy(): boolean {
    return this.deliveries.size > 0;
  }

  /** Waits for the deliveries in progress (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries.values()]);
  }

  close(): void {
    this.closed = true;
  }

  /** The heartbeat set this replica's leases to `until` (its write ended at `now`). */
  leasesRenewed(until: string, now: Date): void {
    this.leases.renewed(Date.parse(until), now.getTime());
  }

  private claim() {
    const now = this.deps.now();
    return {
      owner: this.deps.owner,
      now: now.toISOString(),
      until: new Date(now.getTime() + this.deps.leaseMs).toISOString(),
    };
  }

  private track(incidentId: string, first: () => Promise<void>, saved?: IncidentRecord): Promise<void> {
    const running = this.deliveries.get(incidentId);
    if (running) {
      this.again.set(incidentId, newest(this.again.get(incidentId), saved));
      return running;
    }
    const done = (async () => {
      await first();
      while (this.again.has(incidentId) && !this.closed) {
        const known = this.again.get(incidentId);
        this.again.delete(incidentId);
        await this.claimAndDeliver(incidentId, known);
      }
    })()
      .then(() => {
        this.failing.delete(incidentId);
      })
      .catch((err: unknown) => {
        this.deps.onError(err, 'outbox', incidentId);
        // The claim is still ours (our polls re-claim it too): try once more right away, as
        // the failure may have been brief; a second failure in a row waits for the next poll.
        if (!this.failing.has(incidentId) && !this.closed) {
          this.failing.add(incidentId);
          this.again.set(incidentId, undefined);
        }
      })
      .finally(() => {
        this.deliveries.delete(incidentId);
        // Asked for while this delivery was ending: go once more.
        const known = this.again.get(incidentId);
        if (this.again.delete(incidentId) && !this.closed) void this.flush(incidentId, known);
      });
    this.deliveries.set(incidentId, done);
    return done;
  }

  private async claimAndDeliver(incidentId: string, saved?: IncidentRecord): Promise<void> {
    if (this.closed) return; // a stopped replica takes nothing new
    await this.markAccepted();
    const claim = this.claim();
    await this.deliverInOrder(
      this.noteClaims(await this.deps.store.claimOutbox({ ...claim, limit: 1, incidentId }), claim.until),
      saved,
    );
  }

  /** Counts the claims this process took, so that a claim by someone else shows. */
  private noteClaims(items: OutboxItem[], until: string): OutboxItem[] {
    this.leases.claimed(
      items.map((item) => item.id),
      Date.parse(until),
    );
    for (const item of items) {
      this.ourClaims.set(item.id, (this.ourClaims.get(item.id) ?? 0) + 1);
      if (this.ourClaims.size > Remembered) this.ourClaims.delete(first(this.ourClaims.keys()));
    }
    return items;
  }

  /**
   * One incident's messages, oldest first; the first failure holds the rest back. The
   * messages the platform accepted are marked sent, with the refs the channel kept on them,
   * when the round ends (delivery-round.ts says what a replica dying mid-round leaves), and
   * before a failure lets go of the incident's claim.
   */
  private async deliverInOrder(items: OutboxItem[], saved?: IncidentRecord): Promise<void> {
    const round = new DeliveryRound(this.deps.store);
    try {
      await this.deliverEach(items, round, saved);
    } finally {
      await this.markRound(round);
    }
  }

  private async deliverEach(
    items: OutboxItem[],
    round: DeliveryRound,
    saved?: IncidentRecord,
  ): Promise<void> {
    const { store, owner } = this.deps;
    let known = saved;
    for (const item of items) {
      if (this.closed) return; // the lease lapses (or is released) and another round takes them
      if (this.accepted.has(item.id)) {
        round.accepted(item.id);
        continue;
      }
      // Read once per round: only the root message changes the record (the channel records the
      // thread the next ones go into), so it is read again after that one. A saved record serves
      // a message other than the root only once it knows the thread: the thread is metadata,
      // set without a new version, so a save made while another replica posted the root lacks it.
      const isRoot = (item.message as OutMessage).kind === 'opened';
      const fresh = known !== saved || isRoot || known?.channel.thread !== undefined;
      const reusable = known?.id === item.incidentId && fresh;
      const record = reusable ? known : await store.get(item.incidentId);
      known = record;
      if (!record) {
        await store.failOutbox([item.id], owner, this.at(), 'incident not found');
        this.forget(item.id);
        continue;
      }
      // Stalled past most of the lease: another replica may take the message any moment. Stop
      // here; the next round claims it again (or finds it theirs) and sends it once.
      if (!this.leases.maySend(item.id, this.deps.now().getTime())) return;
      const maybeSent = this.attempted.has(item.id) || item.claims > (this.ourClaims.get(item.id) ?? 0);
      try {
        this.deps.metrics.outgoing(1);
        // Read per message: the root message sets the thread the next ones go into.
        await this.deps.sink({
          incidentId: record.id,
          channel: record.channel,
          locale: record.locale,
          vm: record.vm,
          // Only this engine queues messages (`posted`), so the stored JSON is an OutMessage.
          message: item.message as OutMessage,
          outboxId: item.id,
          refs: round.refs,
          ...(maybeSent ? { maybeSent } : {}),
        });
      } catch (err) {
        this.remember(this.attempted, item.id);
        // The accepted ones first: the retry lets go of the incident's other claimed messages.
        await this.markRound(round);
        if (!(await this.failed(item, err))) return;
        continue;
      } finally {
        this.deps.metrics.outgoing(-1);
      }
      this.remember(this.accepted, item.id);
      round.accepted(item.id);
      if (isRoot) known = undefined;
    }
  }

  /** Records what the platform accepted in a round. */
  private async markRound(round: DeliveryRound): Promise<void> {
    const { ids, refs } = round.take();
    await this.writeMarks(ids, refs);
  }

  /** The marks a failure held back, first thing in a round. */
  private async markAccepted(): Promise<void> {
    await this.writeMarks(
      [...this.unmarked],
      [...this.unmarkedRefs].map(([key, value]) => ({ key, value })),
    );
  }

  /** One markSent; what it could not write is kept for the next round (the database was away). */
  private async writeMarks(ids: number[], refs: MessageRef[]): Promise<void> {
    if (ids.length === 0 && refs.length === 0) return;
    try {
      await this.deps.store.markSent(ids, this.at(), refs);
    } catch (err) {
      for (const id of ids) this.remember(this.unmarked, id);
      for (const { key, value } of refs) this.unmarkedRefs.set(key, value);
      throw err;
    }
    for (const id of ids) {
      this.unmarked.delete(id);
      this.forget(id);
    }
    for (const { key } of refs) this.unmarkedRefs.delete(key);
  }

  /** A message is settled: only `accepted` keeps it (against a stale claim). */
  private forget(id: number): void {
    this.leases.released(id);
    this.ourClaims.delete(id);
    this.attempted.delete(id);
  }

  private remember(set: Set<number>, id: number): void {
    set.add(id);
    if (set.size > Remembered) set.delete(first(set.values()));
  }

  private at(): string {
    return this.deps.now().toISOString();
  }

  /** A delivery failed: true to go on with the next message (this one was given up on). */
  private async failed(item: OutboxItem, err: unknown): Promise<boolean> {
    const { store, owner } = this.deps;
    this.deps.onError(err, 'sink', item.incidentId);
    this.deps.metrics.error(ErrorCodes.ChatDeliveryFailed);
    const attempt = item.attempts + 1;
    const reason = messageOf(err);
    if (attempt >= (this.deps.maxAttempts ?? 60)) {
      // Given up after about an hour of retries: the transcript still has the message.
      await store.failOutbox([item.id], owner, this.at(), reason);
      this.forget(item.id);
      return true;
    }
    const delay = retryAfterMs(err) ?? (this.deps.backoffMs ?? defaultBackoff)(attempt);
    await store.retryOutbox(item, owner, new Date(this.deps.now().getTime() + delay).toISOString(), reason);
    return false;
  }
}

const Remembered = 10_000;

function first<T>(values: IterableIterator<T>): T {
  return values.next().value as T;
}

/** The later of two saved records of one incident (a missing one is no news). */
function newest(a: IncidentRecord | undefined, b: IncidentRecord | undefined): IncidentRecord | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.version >= a.version ? b : a;
}

function groupByIncident(items: OutboxItem[]): Map<string, OutboxItem[]> {
  const groups = new Map<string, OutboxItem[]>();
  for (const item of items) groups.set(item.incidentId, [...(groups.get(item.incidentId) ?? []), item]);
  return groups;
}
