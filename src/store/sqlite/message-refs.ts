import type Database from 'better-sqlite3';
import type { MessageRef, MessageRefStore } from '../incident-store';
import { statement } from './statements';

/** Message refs in SQLite: one row per key, the last write wins. */
export class SqliteMessageRefs implements MessageRefStore {
  constructor(private readonly db: Database.Database) {}

  async getRef(key: string): Promise<string | undefined> {
    return statement(this.db, 'select value from message_refs where key = ?').pluck().get(key) as
      | string
      | undefined;
  }

  async setRef(key: string, value: string, at: string): Promise<void> {
    SqliteMessageRefs.write(this.db, { key, value }, at);
  }

  /** One ref written, in the caller's transaction (the outbox writes them with their mark). */
  static write(db: Database.Database, ref: MessageRef, at: string): void {
    statement(
      db,
      `insert into message_refs (key, value, updated_at) values (?, ?, ?)
         on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
    ).run(ref.key, ref.value, at);
  }
}
