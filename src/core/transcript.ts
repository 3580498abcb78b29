import { hash as hashText } from 'node:crypto';

/** What happened, in the order it happened. The kinds are a contract for readers and exports. */
export const TranscriptKinds = [
  'incident.started',
  'vm.checked',
  'step.awaiting',
  'step.notApplicable',
  'step.approved',
  'step.skipped',
  'step.answered',
  'step.refused',
  'step.dispatching',
  'step.output',
  'step.finished',
  'step.outcomeUnknown',
  'causes.found',
  'message.posted',
  'incident.ended',
  'incident.aborted',
  'incident.undoAsked',
  'approval.expired',
  'error',
] as const;
export type TranscriptKind = (typeof TranscriptKinds)[number];

export interface TranscriptDraft {
  kind: TranscriptKind;
  /** The person behind the entry (platform user id), or null for the agent itself. */
  actor: string | null;
  data: Record<string, unknown>;
}

export interface TranscriptEntry extends TranscriptDraft {
  incidentId: string;
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

export const GenesisHash = '0'.repeat(64);

/**
 * JSON with object keys sorted at every level, so the same entry always hashes the same.
 * `JSON.stringify` with every key of the value as its property list, in order: each object is
 * written with its keys in that order. The first version (a replacer rebuilding every object
 * from its sorted entries) made a fifth of a transition's garbage (issue 20). The text is the
 * same, byte for byte, as that version's — including that an object rebuilt that way lists
 * integer-like keys first, in numeric order (test/core/transcript.test.ts checks it against
 * the first definition): stored hashes stay valid.
 */
export function canonicalJson(value: unknown): string {
  const keys = new Set<string>();
  collectKeys(value, keys, 0);
  // A property list is read with [[Get]]: `__proto__` would find Object.prototype on every
  // object lacking it as an own key (hostile script output can carry one).
  if (keys.has('__proto__')) return bySortedEntries(value);
  const indices: string[] = [];
  const names: string[] = [];
  for (const key of keys) (isIndexKey(key) ? indices : names).push(key);
  indices.sort((a, b) => Number(a) - Number(b));
  names.sort();
  return JSON.stringify(value, [...indices, ...names]);
}

/** The first definition: every object rebuilt from its entries sorted by key. */
function bySortedEntries(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

// Keys an object lists first, in numeric order, whatever their insertion order (array indices).
const IndexKey = /^(?:0|[1-9][0-9]*)$/;
const isIndexKey = (key: string) => IndexKey.test(key) && Number(key) < 4_294_967_295;

function collectKeys(value: unknown, keys: Set<string>, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > 256) return;
  const json = (value as { toJSON?: unknown }).toJSON;
  // What JSON.stringify writes of an object with toJSON is what toJSON returns.
  if (typeof json === 'function') collectKeys(json.call(value), keys, depth + 1);
  else if (Array.isArray(value)) {
    for (const item of value) collectKeys(item, keys, depth + 1);
  } else {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      keys.add(key);
      collectKeys((value as Record<string, unknown>)[key], keys, depth + 1);
    }
  }
}

export function hashEntry(entry: Omit<TranscriptEntry, 'hash'>): string {
  const { incidentId, seq, at, kind, actor, data, prevHash } = entry;
  // One-shot `hash`: no Hash object whose native state waits for a garbage collection (issue 20).
  return hashText('sha256', canonicalJson({ incidentId, seq, at, kind, actor, data, prevHash }), 'hex');
}

/** Chains new drafts after the last stored entry: each holds the hash of the one before. */
export function chainEntries(
  incidentId: string,
  last: { seq: number; hash: string } | undefined,
  drafts: readonly TranscriptDraft[],
  at: string,
): TranscriptEntry[] {
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GenesisHash;
  return drafts.map((draft) => {
    seq += 1;
    // Round-trip the data so what is hashed is exactly what a store gives back.
    const data = JSON.parse(JSON.stringify(draft.data)) as Record<string, unknown>;
    const unhashed = { incidentId, seq, at, kind: draft.kind, actor: draft.actor, data, prevHash };
    const hash = hashEntry(unhashed);
    prevHash = hash;
    return { ...unhashed, hash };
  });
}

export type ChainCheck = { ok: true; entries: number } | { ok: false; seq: number; problem: string };

/** Recomputes the chain: a changed, removed or reordered entry breaks it at that point. */
export function verifyChain(entries: readonly TranscriptEntry[]): ChainCheck {
  let prevHash = GenesisHash;
  for (const [index, entry] of entries.entries()) {
    if (entry.seq !== index + 1)
      return { ok: false, seq: entry.seq, problem: `expected entry ${index + 1}, found ${entry.seq}` };
    if (entry.prevHash !== prevHash)
      return { ok: false, seq: entry.seq, problem: 'does not follow the entry before it' };
    if (hashEntry(entry) !== entry.hash)
      return { ok: false, seq: entry.seq, problem: 'content does not match its hash' };
    prevHash = entry.hash;
  }
  return { ok: true, entries: entries.length };
}
