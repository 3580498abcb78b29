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

/** A platform's step cards (kept to be closed later) and its progress lines (updated in place). */
export function openPlatformRefs<Card>(store: MessageRefStore, platform: 'slack' | 'teams') {
  return {
    cards: new MessageRefs<Card>(store, `${platform}:card`),
    progress: new UpdatableMessages(new MessageRefs<string>(store, `${platform}:progress`)),
  };
}
