import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineMetrics } from '../engine/engine-metrics';
import type { IncidentStore } from '../store/incident-store';

/**
 * Prometheus metrics on their own registry (no global state): incidents by state and cause
 * (read from the store at scrape time), step durations, time waiting for approval, errors
 * by code, and outgoing chat messages in flight.
 */
export function createMetrics(store: IncidentStore): { registry: Registry; engine: EngineMetrics } {
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
  new Gauge({
    name: 'rdpfix_outbox_depth',
    help: 'Chat messages queued and not delivered yet (all replicas)',
    registers: [registry],
    async collect() {
      this.set(await store.outboxDepth());
    },
  });
  const saves = new Histogram({
    name: 'rdpfix_transition_save_seconds',
    help: 'Database time to save one transition (snapshot, transcript entries and outbox in one transaction)',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  new Gauge({
    name: 'rdpfix_incidents',
    help: 'Incidents by status and outcome',
    labelNames: ['status', 'outcome'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await store.list({ limit: 100_000 }))
        this.inc({ status: r.status, outcome: r.outcome ?? 'open' });
    },
  });
  new Gauge({
    name: 'rdpfix_incidents_by_cause',
    help: 'Incidents by the causes their first diagnosis found',
    labelNames: ['cause'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await store.list({ limit: 100_000 })) for (const c of r.causes) this.inc({ cause: c });
    },
  });
  return {
    registry,
    engine: {
      stepRan: (kind, outcome, seconds) => steps.observe({ kind, outcome }, seconds),
      approvalWaited: (seconds) => waits.observe(seconds),
      error: (code) => errors.inc({ code }),
      outgoing: (delta) => outgoing.inc(delta),
      transitionSaved: (seconds) => saves.observe(seconds),
    },
  };
}
