/**
 * What the engine reports as it works. Implemented with prom-client in observability/; the
 * no-op twin keeps tests, the CLI and the benchmarks free of it.
 */
export interface EngineMetrics {
  stepRan(kind: string, outcome: string, seconds: number): void;
  approvalWaited(seconds: number): void;
  error(code: string): void;
  outgoing(delta: 1 | -1): void;
  /** Time the store took to save one transition (snapshot + transcript + outbox, one transaction). */
  transitionSaved(seconds: number): void;
  /**
   * An incident was opened (`before` undefined) or saved: the metrics count openings,
   * closings and causes from here, so that a scrape never reads the incidents table.
   */
  incidentSaved(before: IncidentTally | undefined, after: IncidentTally): void;
}

/** What the metrics count of an incident. */
export interface IncidentTally {
  status: 'open' | 'closed';
  outcome: string | null;
  causes: string[];
}

export const noMetrics: EngineMetrics = {
  stepRan: () => {},
  approvalWaited: () => {},
  error: () => {},
  outgoing: () => {},
  transitionSaved: () => {},
  incidentSaved: () => {},
};
