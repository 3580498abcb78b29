import type { PostgresConnection } from './connection';
import { MigrationLock } from './lock-order';

/**
 * Versioned migrations, applied in order at start-up under an advisory lock, so that
 * several replicas starting together do not race. Bodies are JSON text, not jsonb: the
 * transcript must read back exactly as it was hashed (jsonb refuses \u0000, reorders keys).
 * Append only: a database records the numbers (index + 1) it applied in `rdpfix_migrations`.
 */
const Migrations: string[] = [
  `create table incidents (
     id text primary key, playbook_id text not null, playbook_hash text not null,
     vm_name text not null, channel text not null, status text not null,
     created_at text not null, updated_at text not null, version integer not null, body text not null);
   create index incidents_status on incidents (status, created_at);
   create index incidents_vm on incidents (vm_name, created_at);
   create table transcript (
     incident_id text not null references incidents (id), seq integer not null, at text not null,
     kind text not null, actor text, data text not null, prev_hash text not null, hash text not null,
     primary key (incident_id, seq));
   create function rdpfix_transcript_append_only() returns trigger language plpgsql as
     $$ begin raise exception 'the transcript is append-only'; end $$;
   create trigger transcript_no_change before update or delete on transcript
     for each row execute function rdpfix_transcript_append_only();
   create table dispatches (
     incident_id text not null, step_id text not null, attempt integer not null, status text not null,
     poller_state text, result text, updated_at text not null, primary key (incident_id, step_id, attempt));`,
  `alter table dispatches add column owner text;
   alter table dispatches add column lease_until text;
   create table outbox (
     id bigserial primary key, incident_id text not null, message text not null,
     status text not null, attempts integer not null default 0, next_at text not null,
     owner text, lease_until text, last_error text, created_at text not null, settled_at text);
   create index outbox_pending on outbox (status, incident_id, id);
   create table message_refs (key text primary key, value text not null, updated_at text not null);`,
  // Claims per message: a message claimed before by someone else may have been accepted already.
  'alter table outbox add column claims integer not null default 0;',
  // One open incident per VM, enforced by the database so that two replicas starting one at
  // once cannot both succeed (the second insert waits for the first to commit, then fails
  // the unique index): open_vm holds the VM's key while the incident is open, null once it
  // is closed (NULLs never collide). A nullable column rather than a partial index on status:
  // a database that already holds several open incidents of one VM keeps them; only the
  // newest takes the key. requester_id: the per-user limit.
  `alter table incidents add column open_vm text;
   alter table incidents add column requester_id text;
   update incidents set requester_id = body::json->'requester'->>'id';
   update incidents set open_vm = lower((body::json->'vm'->>'subscriptionId') || '/' || (body::json->'vm'->>'resourceGroup') || '/' || (body::json->'vm'->>'name'))
     where id in (select id from (select id, row_number() over (partition by lower((body::json->'vm'->>'subscriptionId') || '/' || (body::json->'vm'->>'resourceGroup') || '/' || (body::json->'vm'->>'name'))
       order by created_at desc, id desc) as n from incidents where status = 'open') newest where n = 1);
   create unique index incidents_open_vm on incidents (open_vm);
   create index incidents_requester on incidents (requester_id, status);`,
];

/** Applies the migrations not applied yet to `schema` (created if missing). */
export async function migrate(db: PostgresConnection, schema: string): Promise<void> {
  await db.transaction(async (client) => {
    await client.query('select pg_advisory_xact_lock($1)', [MigrationLock]);
    await client.query(`create schema if not exists ${schema}`);
    await client.query(`set local search_path to ${schema}`);
    await client.query(
      'create table if not exists rdpfix_migrations (version integer primary key, applied_at text not null)',
    );
    const done = new Set(
      (await client.query<{ version: number }>('select version from rdpfix_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const [index, sql] of Migrations.entries()) {
      if (done.has(index + 1)) continue;
      await client.query(sql);
      await client.query('insert into rdpfix_migrations (version, applied_at) values ($1, $2)', [
        index + 1,
        new Date().toISOString(),
      ]);
    }
  });
}
