import { ErrorCodes } from '../core/errors';
import type { IncidentStore, OutboxItem } from '../store/incident-store';
import type { EngineMetrics } from './engine-metrics';
import type { MessageSink, OutMessage } from './messages';

export interface OutboxDeps {
  store: IncidentStore;
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
  private readonly again = new Set<string>();
  /**
   * Messages this replica settled lately. A claim read just before one of our own
   * settlements can still list that message; it must not go out twice.
   */
  private readonly settled = new Set<number>();
  private closed = false;

  constructor(private readonly deps: OutboxDeps) {}

  /**
   * Delivers one incident's due messages now (right after its transition was saved). When
   * the incident is already being delivered here, that delivery goes round once more.
   */
  flush(incidentId: string): Promise<void> {
    return this.track(incidentId, () => this.claimAndDeliver(incidentId));
  }

  /** One background round: messages due for a retry, or left by a replica that stopped. */
  async poll(): Promise<void> {
    if (this.closed) return;
    const items = await this.deps.store.claimOutbox({ ...this.claim(), limit: ClaimLimit });
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

  private claim() {
    const now = this.deps.now();
    return {
      owner: this.deps.owner,
      now: now.toISOString(),
      until: new Date(now.getTime() + this.deps.leaseMs).toISOString(),
    };
  }

  private track(incidentId: string, first: () => Promise<void>): Promise<void> {
    const running = this.deliveries.get(incidentId);
    if (running) {
      this.again.add(incidentId);
      return running;
    }
    const done = (async () => {
      await first();
      while (this.again.has(incidentId) && !this.closed) {
        this.again.delete(incidentId);
        await this.claimAndDeliver(incidentId);
      }
    })()
      .catch((err: unknown) => this.deps.onError(err, 'outbox', incidentId))
      .finally(() => {
        this.deliveries.delete(incidentId);
        // Asked for while this delivery was ending: go once more.
        if (this.again.delete(incidentId) && !this.closed) void this.flush(incidentId);
      });
    this.deliveries.set(incidentId, done);
    return done;
  }

  private remember(id: number): void {
    this.settled.add(id);
    if (this.settled.size > RememberSettled)
      this.settled.delete(this.settled.values().next().value as number);
  }

  private async claimAndDeliver(incidentId: string): Promise<void> {
    if (this.closed) return; // a stopped replica takes nothing new
    await this.deliverInOrder(await this.deps.store.claimOutbox({ ...this.claim(), limit: 1, incidentId }));
  }

  /**
   * One incident's messages, oldest first; the first failure holds the rest back. The
   * delivered ones are marked sent together, in one write, when the round ends.
   */
  private async deliverInOrder(items: OutboxItem[]): Promise<void> {
    const { store, owner } = this.deps;
    const at = () => this.deps.now().toISOString();
    const sent: number[] = [];
    try {
      for (const item of items) {
        if (this.closed) return; // the lease lapses (or is released) and another round takes them
        if (this.settled.has(item.id)) continue;
        const record = await store.get(item.incidentId);
        if (!record) {
          await store.settleOutbox([item.id], owner, 'failed', at(), 'incident not found');
          continue;
        }
        try {
          this.deps.metrics.outgoing(1);
          // Read per message: the root message sets the thread the next ones go into.
          await this.deps.sink({
            incidentId: record.id,
            channel: record.channel,
            locale: record.locale,
            vm: record.vm,
            message: item.message as unknown as OutMessage,
          });
          sent.push(item.id);
          this.remember(item.id);
        } catch (err) {
          if (!(await this.failed(item, err, sent))) return;
        } finally {
          this.deps.metrics.outgoing(-1);
        }
      }
    } finally {
      if (sent.length) await store.settleOutbox(sent, owner, 'sent', at());
    }
  }

  /** A delivery failed: true to go on with the next message (this one was given up on). */
  private async failed(item: OutboxItem, err: unknown, sent: number[]): Promise<boolean> {
    const { store, owner } = this.deps;
    this.deps.onError(err, 'sink', item.incidentId);
    this.deps.metrics.error(ErrorCodes.ChatDeliveryFailed);
    const attempt = item.attempts + 1;
    const reason = err instanceof Error ? err.message : String(err);
    if (attempt >= (this.deps.maxAttempts ?? 60)) {
      // Given up after about an hour of retries: the transcript still has the message.
      await store.settleOutbox([item.id], owner, 'failed', this.deps.now().toISOString(), reason);
      this.remember(item.id);
      return true;
    }
    // What went out before it is marked first: the retry releases the incident's claim.
    if (sent.length) await store.settleOutbox(sent.splice(0), owner, 'sent', this.deps.now().toISOString());
    const delay = retryAfterMs(err) ?? (this.deps.backoffMs ?? defaultBackoff)(attempt);
    await store.retryOutbox(item, owner, new Date(this.deps.now().getTime() + delay).toISOString(), reason);
    return false;
  }
}

const RememberSettled = 10_000;

function groupByIncident(items: OutboxItem[]): Map<string, OutboxItem[]> {
  const groups = new Map<string, OutboxItem[]>();
  for (const item of items) groups.set(item.incidentId, [...(groups.get(item.incidentId) ?? []), item]);
  return groups;
}

/** 1 s, 2 s, 4 s … capped at a minute. */
function defaultBackoff(attempt: number): number {
  return Math.min(60_000, 1_000 * 2 ** (attempt - 1));
}

/** Retry-After as the platform SDKs report it (Slack's WebClient: `retryAfter` in seconds). */
function retryAfterMs(err: unknown): number | undefined {
  const seconds = (err as { retryAfter?: unknown } | null)?.retryAfter;
  return typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : undefined;
}
