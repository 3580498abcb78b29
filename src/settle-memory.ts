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
 * So: every `checkMs` this looks at the event loop; when it was quiet for a whole period
 * (utilisation under `quietBelow`) and the heap holds more than `slackMb` it does not use,
 * it asks V8 for the collection a process under memory pressure gets (`flavor:
 * 'last-resort'`, V8's CollectAllAvailableGarbage: it compacts, shrinks the young
 * generation and frees the pooled pages). It costs a pause of a few tens of ms on a quiet
 * event loop, and does not repeat until a new burst leaves `slackMb` more slack than the
 * collection left.
 */
export interface SettleOptions {
  /** How long the event loop must be quiet before the heap is settled. */
  checkMs?: number;
  /** Event loop utilisation (0–1) below which a period counts as quiet. */
  quietBelow?: number;
  /** Committed but unused heap (MB) worth giving back. */
  slackMb?: number;
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
  const { checkMs = 2_000, quietBelow = 0.02, slackMb = 8, onSettled } = options;
  const gc = exposeGc();
  let last = performance.eventLoopUtilization();
  // The least slack seen since the last settling: a collection does not always bring it to
  // zero (a fragmented old space), and what it leaves is no reason to collect again and again.
  let floor = 0;
  const settler = { count: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const quiet = performance.eventLoopUtilization(now, last).utilization < quietBelow;
    last = now;
    const spare = slack();
    floor = Math.min(floor, spare);
    if (!gc || !quiet || spare - floor < slackMb * 1_048_576) return;
    const rssBefore = process.memoryUsage.rss();
    const started = performance.now();
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    settler.count += 1;
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
 * contexts created after it, and a new context is made to fetch the function (the npm
 * package expose-gc does the same; nodejs.org/api/v8.html#v8setflagsfromstringflags warns
 * that flags set after start-up may do nothing, hence the check). The gc extension's options
 * (type, execution, flavor) are V8's src/extensions/gc-extension.cc. Undefined if V8 refuses.
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
