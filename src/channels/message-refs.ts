import type { IncidentStore } from '../store/incident-store';

/**
 * A channel's handles on messages it updates later (a card's ts or activity id, a progress
 * line), kept in the store: the replica that delivers "Approved by …" or a step's result is
 * often not the one that posted the card, and a restart must not forget them either.
 */
export class MessageRefs<T> {
  constructor(
    private readonly store: Pick<IncidentStore, 'getRef' | 'setRef'>,
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
