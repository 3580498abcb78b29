import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineMetrics } from '../engine/engine-metrics';
import type { IncidentStore } from '../store/incident-store';

/** How often the gauges read from the store (open incidents, outbox depth) are refreshed. */
export const StoreGaugeRefreshMs = 15_000;

/** At most this many open incidents are counted per refresh (the gauge then says "at least"). */
export const OpenIncidentsCountLimit = 10_000;

export interface Metrics {
  registry: Registry;
  engine: EngineMetrics;
  /** Stops the refresh of the store gauges and waits for one in flight (before the store closes). */
  close(): Promise<void>;
}

/**
 * Prometheus metrics on their own registry (no global state). A scrape reads memory only:
 * counters come from the engine's hooks (incidents opened, closed by outcome, causes found;
 * step durations; time waiting for approval; errors by code; messages in flight), and the
 * two gauges that need the store (open incidents, outbox depth, over all replicas) are
 * refreshed in the background every `refreshMs`, the open incidents by the status index
 * and bounded. Before, every scrape read every incident: a scraper, or anyone reaching
 * /metrics, made the server walk the whole table at will.
 */
export function createMetrics(
  store: Pick<IncidentStore, 'list' | 'outboxDepth'> & { readonly roundTrips?: number },
  options: { refreshMs?: number; onError?: (err: unknown) => void } = {},
): Metrics {
  const registry = new Registry();
  const steps = new Histogram({
    name: 'rdpfix_step_duration_seconds',
    help: 'Run Command and Azure action duration, by step kind and outcome',
    labelNames: ['kind', 'outcome'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 900, 3600],
    registers: [registry],
  });
  const waits = new Histogram({
    name: 'rdpfix_approval_wait_seconds',
    help: 'Time a step card waited for a decision',
    buckets: [5, 30, 60, 300, 900, 1800, 3600, 14400],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'rdpfix_errors_total',
    help: 'Errors and refusals by code',
    labelNames: ['code'],
    registers: [registry],
  });
  const outgoing = new Gauge({
    name: 'rdpfix_outgoing_messages_in_flight',
    help: 'Chat messages being delivered now',
    registers: [registry],
  });
  const saves = new Histogram({
    name: 'rdpfix_transition_save_seconds',
    help: 'Database time to save one transition (snapshot, transcript entries and outbox in one transaction)',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const opened = new Counter({
    name: 'rdpfix_incidents_opened_total',
    help: 'Incidents opened by this replica',
    registers: [registry],
  });
  const closed = new Counter({
    name: 'rdpfix_incidents_closed_total',
    help: 'Incidents closed by this replica, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const causes = new Counter({
    name: 'rdpfix_incident_causes_total',
    help: 'Causes found by first diagnoses on this replica, by cause',
    labelNames: ['cause'],
    registers: [registry],
  });
  const open = new Gauge({
    name: 'rdpfix_incidents_open',
    help: `Incidents open now (all replicas; refreshed every ${(options.refreshMs ?? StoreGaugeRefreshMs) / 1000} s, counted up to ${OpenIncidentsCountLimit})`,
    registers: [registry],
  });
  const outbox = new Gauge({
    name: 'rdpfix_outbox_depth',
    help: 'Chat messages queued and not delivered yet (all replicas; refreshed in the background)',
    registers: [registry],
  });
  // PostgreSQL's store counts the statements it sends, each a round trip (issue 20: what a
  // transition costs on the wire). Read at each scrape; the other stores have no wire.
  if (typeof store.roundTrips === 'number') {
    let counted = 0;
    new Counter({
      name: 'rdpfix_store_statements_total',
      help: 'Statements this replica sent to PostgreSQL, each one round trip (begin and commit included)',
      registers: [registry],
      collect() {
        const now = store.roundTrips ?? counted;
        this.inc(now - counted);
        counted = now;
      },
    });
  }
  const readStore = async () => {
    try {
      open.set((await store.list({ status: 'open', limit: OpenIncidentsCountLimit })).length);
      outbox.set(await store.outboxDepth());
    } catch (err) {
      options.onError?.(err);
    }
  };
  // One read at a time; `finally` runs after the assignment, even if the read fails at once.
  let refreshing: Promise<void> | undefined;
  const refresh = () => {
    refreshing ??= readStore().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };
  void refresh();
  const timer = setInterval(() => void refresh(), options.refreshMs ?? StoreGaugeRefreshMs);
  timer.unref();
  return {
    registry,
    engine: {
      stepRan: (kind, outcome, seconds) => steps.observe({ kind, outcome }, seconds),
      approvalWaited: (seconds) => waits.observe(seconds),
      error: (code) => errors.inc({ code }),
      outgoing: (delta) => outgoing.inc(delta),
      transitionSaved: (seconds) => saves.observe(seconds),
      incidentSaved(before, after) {
        if (!before) opened.inc();
        if (before?.status !== 'closed' && after.status === 'closed')
          closed.inc({ outcome: after.outcome ?? 'unknown' });
        // The first diagnosis's causes are kept as the incident's causes: counted once, when they appear.
        if (!before?.causes.length) for (const c of after.causes) causes.inc({ cause: c });
      },
    },
    async close() {
      clearInterval(timer);
      await refreshing;
    },
  };
}
