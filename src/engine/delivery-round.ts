import type { MessageRef, MessageRefStore } from '../store/incident-store';

/**
 * One delivery round of one incident: the messages the platform accepted and the handles the
 * channel kept on them (message refs), written together when the round ends (markSent). One
 * write a round, where there were one a message and one a ref (issue 20: in the replicas
 * benchmark on PostgreSQL, 107.5 statements per incident became 87).
 *
 * The price: a replica that dies mid-round, or stalls in it past its lease (a long pause, a
 * starved CPU), leaves the round's accepted messages pending, not one. The next owner is told
 * they may have gone (`maybeSent`): Slack looks in the thread before posting again
 * (post-once.ts); Teams cannot, and posts them again.
 */
export class DeliveryRound {
  private ids: number[] = [];
  private kept = new Map<string, string>();

  constructor(private readonly store: Pick<MessageRefStore, 'getRef'>) {}

  /**
   * The refs a delivery of this round reads and writes (Delivery.refs): a ref kept earlier in
   * the round is read from here (a card posted and closed in one round), any other from the store.
   */
  readonly refs: MessageRefStore = {
    getRef: async (key) => this.kept.get(key) ?? (await this.store.getRef(key)),
    setRef: async (key, value) => {
      this.kept.set(key, value);
    },
  };

  accepted(id: number): void {
    this.ids.push(id);
  }

  /** What the round has to write, once; the round starts empty again. */
  take(): { ids: number[]; refs: MessageRef[] } {
    const taken = { ids: this.ids, refs: [...this.kept].map(([key, value]) => ({ key, value })) };
    this.ids = [];
    this.kept = new Map();
    return taken;
  }
}
