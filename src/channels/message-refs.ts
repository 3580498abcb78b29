import { UpdatableMessages } from './updatable-messages';

/** Where a channel keeps its handles on messages, shared by replicas (the incident store). */
export interface MessageRefStore {
  getRef(key: string): Promise<string | undefined>;
  setRef(key: string, value: string, at: string): Promise<void>;
}

/**
 * A channel's handles on messages it updates later (a card's ts or activity id, a progress
 * line), kept in the store: the replica that delivers "Approved by …" or a step's result is
 * often not the one that posted the card, and a restart must not forget them either.
 */
export class MessageRefs<T> {
  constructor(
    private readonly store: MessageRefStore,
    private readonly prefix: string,
  ) {}

  async get(key: string): Promise<T | undefined> {
    const value = await this.store.getRef(`${this.prefix}:${key}`);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  async set(key: string, value: T): Promise<void> {
    await this.store.setRef(`${this.prefix}:${key}`, JSON.stringify(value), new Date().toISOString());
  }
}

/**
 * A platform's step cards (kept to be closed later) and its progress lines (updated in place),
 * read and written through a given ref store: a delivery's own (`Delivery.refs`, which the
 * outbox writes with the messages' mark) or the channel's.
 */
export function openPlatformRefs<Card>(platform: 'slack' | 'teams') {
  const progress = new UpdatableMessages();
  return function through(store: MessageRefStore) {
    const progressRefs = new MessageRefs<string>(store, `${platform}:progress`);
    return {
      cards: new MessageRefs<Card>(store, `${platform}:card`),
      progress: {
        show: (...args: ProgressArgs) => progress.show(progressRefs, ...args),
      },
    };
  };
}

type ProgressArgs = Parameters<UpdatableMessages['show']> extends [unknown, ...infer Rest] ? Rest : never;
