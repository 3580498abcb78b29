import type Database from 'better-sqlite3';

const Schema = `
create table if not exists incidents (
  id text primary key,
  playbook_id text not null,
  playbook_hash text not null,
  vm_name text not null,
  channel text not null,
  status text not null,
  created_at text not null,
  updated_at text not null,
  version integer not null,
  body text not null
);
create index if not exists incidents_status on incidents (status, created_at);
create index if not exists incidents_vm on incidents (vm_name, created_at);
create table if not exists transcript (
  incident_id text not null references incidents (id),
  seq integer not null,
  at text not null,
  kind text not null,
  actor text,
  data text not null,
  prev_hash text not null,
  hash text not null,
  primary key (incident_id, seq)
);
-- The transcript is append-only: the database itself refuses edits and deletions.
create trigger if not exists transcript_no_update before update on transcript
  begin select raise(abort, 'the transcript is append-only'); end;
create trigger if not exists transcript_no_delete before delete on transcript
  begin select raise(abort, 'the transcript is append-only'); end;
create table if not exists dispatches (
  incident_id text not null,
  step_id text not null,
  attempt integer not null,
  status text not null,
  poller_state text,
  result text,
  updated_at text not null,
  primary key (incident_id, step_id, attempt)
);
`;

/** Changes after the first schema, applied once each (`pragma user_version` counts them). */
const Migrations: string[] = [
  `alter table dispatches add column owner text;
   alter table dispatches add column lease_until text;
   create table outbox (
     id integer primary key autoincrement, incident_id text not null, message text not null,
     status text not null, attempts integer not null default 0, next_at text not null,
     owner text, lease_until text, last_error text, created_at text not null, settled_at text);
   create index outbox_pending on outbox (status, incident_id, id);
   create table message_refs (key text primary key, value text not null, updated_at text not null);`,
  // Claims per message: a message claimed before by someone else may have been accepted already.
  'alter table outbox add column claims integer not null default 0;',
  // One open incident per VM, enforced by the database so that two replicas starting one at
  // once cannot both succeed: open_vm holds the VM's key while the incident is open, null once
  // it is closed (NULLs never collide in a unique index). A nullable column rather than a
  // partial index on status: a database that already holds several open incidents of one VM
  // (before this rule) keeps them; only the newest takes the key. requester_id: the per-user limit.
  `alter table incidents add column open_vm text;
   alter table incidents add column requester_id text;
   update incidents set requester_id = json_extract(body, '$.requester.id');
   update incidents set open_vm = lower(json_extract(body, '$.vm.subscriptionId') || '/' ||
       json_extract(body, '$.vm.resourceGroup') || '/' || json_extract(body, '$.vm.name'))
     where id in (select id from (select id, row_number() over (
       partition by lower(json_extract(body, '$.vm.subscriptionId') || '/' ||
         json_extract(body, '$.vm.resourceGroup') || '/' || json_extract(body, '$.vm.name'))
       order by created_at desc, id desc) as n from incidents where status = 'open') where n = 1);
   create unique index incidents_open_vm on incidents (open_vm);
   create index incidents_requester on incidents (requester_id, status);`,
];

/** Creates the first schema if missing, then applies the migrations the file has not had yet. */
export function migrate(db: Database.Database): void {
  db.exec(Schema);
  const applied = db.pragma('user_version', { simple: true }) as number;
  for (const [index, sql] of Migrations.entries()) {
    if (index < applied) continue;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${index + 1}`);
    })();
  }
}
