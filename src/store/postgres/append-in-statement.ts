import { canonicalJson, GenesisHash, type TranscriptDraft } from '../../core/transcript';

/**
 * Transcript entries and outbox messages appended by the statement that changes the incident,
 * so that a transition, its story and its messages cost one round trip (issue 20, part 3).
 *
 * The hash chain is finished by PostgreSQL, from the last entry it finds: `hashEntry` hashes
 * `canonicalJson({incidentId, seq, at, kind, actor, data, prevHash})`, whose keys are sorted,
 * so `prevHash` and `seq` come last. The app writes each entry's canonical JSON up to the
 * previous hash (`prefix`); the statement appends the previous hash and the sequence number
 * and hashes the text (SHA-256 of its UTF-8 bytes, as Node's `createHash` does), entry after
 * entry. `verifyChain` recomputes every hash in the app, so the two cannot drift unnoticed
 * (the contract suites check it, test/store/postgres-chain.test.ts with hostile text).
 *
 * The last entry is read with the statement's snapshot, taken before it waited for the
 * incident row lock: an entry that another transaction appended while this one waited is not
 * seen, and the new entry's (incident_id, seq) collides with it. PostgreSQL then refuses the
 * whole statement (unique_violation on transcript_pkey) and the caller runs it again, which
 * sees the new last entry (`isChainMoved`). The chain never forks: a sequence number is
 * taken once.
 */

/** The parameters `appendCtes` reads, in its order: kinds, actors, data, prefixes, messages. */
export function appendArgs(
  incidentId: string,
  drafts: readonly TranscriptDraft[],
  at: string,
  messages: readonly object[],
): unknown[] {
  const kinds: string[] = [];
  const actors: (string | null)[] = [];
  const data: string[] = [];
  const prefixes: string[] = [];
  for (const draft of drafts) {
    // Round-trip the data so what is hashed is exactly what the store gives back.
    const stored = JSON.parse(JSON.stringify(draft.data)) as Record<string, unknown>;
    const unchained = canonicalJson({ incidentId, at, kind: draft.kind, actor: draft.actor, data: stored });
    kinds.push(draft.kind);
    actors.push(draft.actor);
    data.push(JSON.stringify(stored));
    prefixes.push(`${unchained.slice(0, -1)},"prevHash":"`);
  }
  return [kinds, actors, data, prefixes, messages.map((m) => JSON.stringify(m))];
}

/**
 * The CTEs (for a `with recursive` statement) that append the entries and queue the messages
 * given by `appendArgs` at parameters `$first`…`$first+4`, for incident `id` at time `at` (SQL
 * parameter references), only when the CTE `gate` returns a row: the gate takes the incident
 * row lock (or is the write that does), so nothing is appended before it is held, and a
 * refused write appends nothing. Messages are inserted in order, so their ids follow it.
 */
export function appendCtes(id: string, at: string, first: number, gate: string): string {
  const p = (offset: number) => `$${first + offset}`;
  return `drafts (kind, actor, data, prefix, n) as (
     select * from unnest(${p(0)}::text[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[]) with ordinality),
   last_entry as (
     select seq, hash from transcript where incident_id = ${id} order by seq desc limit 1),
   chain (n, seq, prev_hash, hash) as (
     select 0::bigint, coalesce((select seq from last_entry), 0),
       null::text, coalesce((select hash from last_entry), '${GenesisHash}')
     where exists (select 1 from ${gate})
     union all
     select d.n, c.seq + 1, c.hash,
       encode(sha256(convert_to(d.prefix || c.hash || '","seq":' || (c.seq + 1) || '}', 'UTF8')), 'hex')
     from chain c join drafts d on d.n = c.n + 1),
   entries as (
     insert into transcript (incident_id, seq, at, kind, actor, data, prev_hash, hash)
     select ${id}, c.seq, ${at}, d.kind, d.actor, d.data, c.prev_hash, c.hash
     from chain c join drafts d on d.n = c.n),
   queued as (
     insert into outbox (incident_id, message, status, next_at, created_at)
     select ${id}, m.message, 'pending', ${at}, ${at}
     from unnest(${p(4)}::text[]) with ordinality as m (message, n)
     where exists (select 1 from ${gate})
     order by m.n)`;
}

/**
 * The incident's chain grew while the statement waited for its row lock (see above): nothing
 * was written, and running the statement again appends after the new last entry.
 */
export function isChainMoved(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === 'transcript_pkey';
}

/** Runs `write` again (bounded) while the chain moved under it; each run is a new statement. */
export async function whileChainMoves<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!isChainMoved(err) || attempt >= ChainRetries) throw err;
    }
  }
}

/** Each retry follows a transaction that appended to the same incident; more in a row means something is wrong. */
const ChainRetries = 8;
