import { performance } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Gives V8's spare memory back once the process goes quiet after a burst (issue 20).
 *
 * What 1,000 idle incidents cost was not the incidents (they live in the store; the heap in
 * use after a full collection is the same with 1,000 or 3,000), it was V8's slack: a burst
 * grows the young generation to its maximum (V8 grows it whenever more bytes survived
 * scavenges than it holds: heap.cc, Heap::CheckNewSpaceExpansionCriteria) and only a
 * memory-reducing collection shrinks it again. V8's own memory reducer does that in the end,
 * but it waits for its allocation-rate samples to age out: `--trace-memory-reducer` showed
 * "high alloc" for ~100 s of an idle process here, at 170 MB.
 *
 * So: every `checkMs` this looks at the event loop; when a busy period (or the start) was
 * followed by a quiet one (utilisation under `quietBelow`), the heap holds `slackMb` more
 * than it uses than after the last settling, and the last settling is `spacingMs` old, it
 * asks V8 for the collection a process under memory pressure gets (`flavor: 'last-resort'`,
 * V8's CollectAllAvailableGarbage: it compacts, shrinks the young generation and frees the
 * pooled pages). It costs a pause on a quiet event loop: 55–130 ms after the 1,000-incident
 * burst of the benchmark, 261 ms once at a local-mode server's start.
 */
export interface SettleOptions {
  /** How long the event loop must be quiet before the heap is settled. */
  checkMs?: number;
  /** Event loop utilisation (0–1) below which a period counts as quiet. */
  quietBelow?: number;
  /** Committed but unused heap (MB) worth giving back. */
  slackMb?: number;
  /** The least time between two settlings: a load that swings around `quietBelow` gets one a minute at most. */
  spacingMs?: number;
  /** Told after each settling, with the RSS before and after (bytes). */
  onSettled?: (settled: { rssBefore: number; rssAfter: number; ms: number }) => void;
}

export interface MemorySettler {
  /** How many times the heap was settled. */
  readonly count: number;
  stop(): void;
}

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

export function settleMemoryWhenQuiet(options: SettleOptions = {}): MemorySettler {
  const { checkMs = 2_000, quietBelow = 0.02, slackMb = 8, spacingMs = 60_000, onSettled } = options;
  const gc = exposeGc();
  let last = performance.eventLoopUtilization();
  // A settling follows a busy period: under a steady trickle that never makes a period busy,
  // the young generation regrows slowly and a collection every few seconds would cost more
  // than it gives back (a review measured one every 6 s at 1.95 % utilisation before this).
  let busySince = true;
  // The least slack seen since the last settling: a collection does not always bring it to
  // zero (a fragmented old space), and what it leaves is no reason to collect again.
  let floor = 0;
  let settledAt = -Infinity;
  // The period right after a settling is busy with its aftermath (a heap that small collects
  // often until it has grown back: measured up to 100 % of a 100 ms period): not a new burst.
  let aftermath = false;
  const settler = { count: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const quiet = performance.eventLoopUtilization(now, last).utilization < quietBelow;
    last = now;
    const spare = slack();
    floor = Math.min(floor, spare);
    if (!quiet && !aftermath) busySince = true;
    aftermath = false;
    const started = performance.now();
    if (!gc || !quiet || !busySince || started - settledAt < spacingMs) return;
    if (spare - floor < slackMb * 1_048_576) return;
    const rssBefore = process.memoryUsage.rss();
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    settler.count += 1;
    settledAt = started;
    busySince = false;
    aftermath = true;
    floor = slack();
    // The collection itself is not work that makes the next period busy.
    last = performance.eventLoopUtilization();
    onSettled?.({ rssBefore, rssAfter: process.memoryUsage.rss(), ms: performance.now() - started });
  }, checkMs);
  // Never the reason the process stays up.
  timer.unref();
  return settler;
}

/** Heap memory V8 has committed and does not use now (a burst's young generation, freed pages). */
function slack(): number {
  const heap = getHeapStatistics();
  return heap.total_physical_size - heap.used_heap_size;
}

/**
 * V8's `gc()`, without starting Node with `--expose-gc`: the flag set at run time applies to
 * contexts created after it, and a new context is made to fetch the function (the npm package
 * expose-gc does the same; nodejs.org/api/v8.html#v8setflagsfromstringflags warns that flags
 * set after start-up may do nothing, hence the check). Every later vm context and worker
 * thread gets a global `gc` too: nothing in rdp-fix runs code it did not write in one. The gc
 * extension's options (type, execution, flavor) are V8's src/extensions/gc-extension.cc.
 * Undefined if V8 refuses.
 */
function exposeGc(): Gc | undefined {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as Gc;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as Gc) : undefined;
  } catch {
    return undefined;
  }
}
