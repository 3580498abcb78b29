import type { MessageRefStore } from '../incident-store';
import type { PostgresConnection } from './connection';

/** Message refs on PostgreSQL: one row per key, the last write wins (no lock held beyond the statement). */
export class PostgresMessageRefs implements MessageRefStore {
  constructor(private readonly db: PostgresConnection) {}

  async getRef(key: string): Promise<string | undefined> {
    const { rows } = await this.db.read<{ value: string }>('select value from message_refs where key = $1', [
      key,
    ]);
    return rows[0]?.value;
  }

  async setRef(key: string, value: string, at: string): Promise<void> {
    await this.db.write(
      `insert into message_refs (key, value, updated_at) values ($1, $2, $3)
       on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
      [key, value, at],
    );
  }
}
