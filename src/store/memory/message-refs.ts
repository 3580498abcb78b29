import type { MessageRefStore } from '../incident-store';
import type { MemoryTables } from './tables';

/** Message refs in memory: the last write wins. */
export class MemoryMessageRefs implements MessageRefStore {
  constructor(private readonly tables: MemoryTables) {}

  async getRef(key: string): Promise<string | undefined> {
    return this.tables.refs.get(key);
  }

  async setRef(key: string, value: string): Promise<void> {
    this.tables.refs.set(key, value);
  }
}
